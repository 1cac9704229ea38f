<?php
$items = array_map('trim', $lines);
$name = 'ba' . 'nner';
