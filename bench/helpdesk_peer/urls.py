"""URL map of the benchmark's django-helpdesk project: the helpdesk at the root, as documented."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
