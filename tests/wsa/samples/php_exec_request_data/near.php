<?php
$value = system_status($_GET['section']);
echo htmlspecialchars($_GET['q'] ?? '');
