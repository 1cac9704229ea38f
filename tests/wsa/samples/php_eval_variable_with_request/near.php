<?php
$page = sanitize_key($_GET['page'] ?? '');
$handler = 'render_' . $page;
$evaluation = compute($page);
