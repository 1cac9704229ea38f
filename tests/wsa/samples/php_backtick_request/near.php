<?php
/**
 * Requires that `$_POST['nonce']` be verified first.
 */
$out = `uptime`;
