<?php
include __DIR__ . '/template-parts/header.php';
$icon = 'favicon.ico';
