<?php
$file = wp_handle_upload($upload);
move_uploaded_file($file['tmp_name'], $target);
