"""WSGI entry point for the production server (granian)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xuala.settings")
application = get_wsgi_application()

# This process answers requests: the anti-spam checks read their state from memory and
# write their verdicts in batches from a background thread (xuala/antispam/live.py).
from xuala.antispam import live, wsgi_fast  # noqa: E402

live.serve()
live.warm()
# Akismet's endpoints answer past the pages' middleware (xuala/antispam/wsgi_fast.py).
application = wsgi_fast.wrap(application)

# What is loaded by now (Django, the apps, the URL map, the policy) lives as long as the
# process: keep it out of the collector's generations so a collection scans only what a
# request made (the console's ticket page: 0.3 ms of collection per request instead of 0.6-0.9).
gc.freeze()
