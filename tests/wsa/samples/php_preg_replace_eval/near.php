<?php
$slug = preg_replace('/[^a-z0-9]+/i', '-', $title);
$x = preg_replace("/name/", 'e', $y);
