"""Akismet's endpoints, under /akismet/1.1/: one route per endpoint of `akismet.VIEWS` (the
table the production entry point answers from too, wsgi_fast.py)."""

from django.urls import path

from xuala.antispam.akismet import VIEWS

app_name = "akismet"
urlpatterns = [path(endpoint, view, name=endpoint) for endpoint, view in VIEWS.items()]
