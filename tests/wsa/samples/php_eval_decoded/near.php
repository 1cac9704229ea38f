<?php
$settings = json_decode(base64_decode($encoded), true);
$evaluation = 'ok';
