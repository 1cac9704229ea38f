<?php
$list = explode("\n", $_POST['emails']);
foreach ($list as $to) {
    mail(trim($to), $subject, $body, $headers);
}
