"""URL map: language-neutral endpoints first, then pages under /<lang>/ (Spanish bare)."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from xuala.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("xuala.api.urls")),
]

urlpatterns += i18n_patterns(
    path("kb/", include("xuala.kb.urls")),
    path("portal/", include("xuala.portal.urls")),
    path("console/", include("xuala.console.urls")),
    prefix_default_language=False,
)
