<?php
$OO = 1;
$O000 = 2; // one odd name
$__ = 3;
