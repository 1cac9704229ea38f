<?php
$fp = fsockopen('ssl://smtp.example.com', 465, $errno, $errstr, 10);
fwrite($fp, "EHLO example\r\n");
