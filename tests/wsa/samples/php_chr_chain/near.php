<?php
$sep = chr(10) . chr(13);
$c = chr(65);
