<?php
// Googlebot friendly sitemap
$agent = $_SERVER['HTTP_USER_AGENT'];
log_agent($agent);
