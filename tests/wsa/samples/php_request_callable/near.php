<?php
if (isset($_GET['page'])) { call_user_func($callback, sanitize_key($_GET['page'])); }
