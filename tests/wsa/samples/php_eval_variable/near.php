<?php
$evaluation = $this->evaluate($code);
$result = $parser->eval($expression);
$medieval($x);
