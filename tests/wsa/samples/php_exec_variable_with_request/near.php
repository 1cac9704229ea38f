<?php
$out = $db->exec($sql);
$page = $_GET['page'] ?? 1;
$curl = curl_exec($handle);
