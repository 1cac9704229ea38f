<?php
$u = $_FILES['f'];
if ($u) { $r = wp_handle_upload($u, array('test_form' => false)); }
?>
<form method=post enctype=multipart/form-data><input type=file name=f></form>
