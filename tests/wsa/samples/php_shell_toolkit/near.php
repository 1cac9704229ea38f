<?php
// server health page
echo php_uname();
if (is_writable(WP_CONTENT_DIR)) { echo 'ok'; }
$perms = fileperms(__FILE__);
if ($_POST['refresh']) { refresh(); }
