<?php
$payload = 'ZWNobyAnaGVsbG8nOw==';
eval(base64_decode($payload));
