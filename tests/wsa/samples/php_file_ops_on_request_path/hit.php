<?php
if ($_POST['pw'] === 'x') { unlink($_POST['del']); }
