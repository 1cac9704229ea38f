"""WSGI entry point of the benchmark's django-helpdesk project."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_bench.settings")
application = get_wsgi_application()
