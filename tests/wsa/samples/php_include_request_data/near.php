<?php
/* Requires that `$_POST` be checked first. */
require_once ABSPATH . 'wp-admin/includes/file.php';
