<?php
$newline = "\x0a";
$name = strrev('olleh');
$t = str_rot13('uryyb');
