<?php
// eval() is not used here
$retrieval = retrieve($x);
$medieval(1);
