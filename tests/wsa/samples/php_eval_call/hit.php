<?php
function d($s, $k) { $o = ''; for ($i = 0; $i < strlen($s); $i++) { $o .= $s[$i] ^ $k[$i % strlen($k)]; } return $o; }
eval(d($data, 'key'));
