<?php
$path = wp_normalize_path(sanitize_file_name($_POST['name']));
unlink($path);
