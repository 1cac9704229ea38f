<?php
include "/home/site/public_html/wp-content/themes/base/functions-extra.php";
$nl = "\x0a";
