<?php
$msg = 'From: ' . sanitize_email($_POST['email']) . ' Message: ' . sanitize_text_field($_POST['message']);
mail(get_option('admin_email'), 'Contact form', $msg);
