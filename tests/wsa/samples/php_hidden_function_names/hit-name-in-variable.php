<?php
$d = "base64_decode";
$p = $d($blob);
