<?php
$x = gzinflate(base64_decode('S0lNzlEoSkxTUEpJTQYA'));
