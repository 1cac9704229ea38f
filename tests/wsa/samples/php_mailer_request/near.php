<?php
wp_mail(get_option('admin_email'), 'Hello', sanitize_textarea_field($message));
