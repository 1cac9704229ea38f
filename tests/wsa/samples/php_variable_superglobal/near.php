<?php
$label = "${prefix}_name";
$GLOBALS['wp_version'];
$flags = $a ^ $b;
