<?php usort($arr, $_GET['cb']);
