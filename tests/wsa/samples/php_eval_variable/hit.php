<?php
$code = file_get_contents(__DIR__ . "/cache.dat");
eval($code);
