<?php
$raw = base64_decode($blob);
$plain = gzinflate($raw);
