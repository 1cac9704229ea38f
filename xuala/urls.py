"""URL map: language-neutral endpoints first, then pages under /<lang>/ (Spanish bare)."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from xuala.accounts.admin_site import XualaAdminSite
from xuala.core import views as core_views
from xuala.updates import urls as updates_urls

# Staff sign in to the admin with a password and their TOTP code, as in the console.
admin.site.__class__ = XualaAdminSite

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("demo-site/<str:name>/", core_views.demo_site, name="demo_site"),
    # Browsers ask for /favicon.ico whatever the page links; they get the site's icon.
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/", include("xuala.api.urls")),
    path("akismet/1.1/", include("xuala.antispam.urls")),
]

urlpatterns += i18n_patterns(
    # The front door: clients sign in to the client area (agents are sent on to the console).
    path("", RedirectView.as_view(pattern_name="portal:dashboard"), name="home"),
    path("kb/", include("xuala.kb.urls")),
    path("portal/quotes/", include("xuala.quotes.urls_portal")),
    path("portal/meetings/", include("xuala.meetings.urls_portal")),
    path("portal/uptime/", include("xuala.sentry.urls_portal")),
    path("portal/security/", include("xuala.wsa.urls_portal")),
    path("portal/updates/", include(updates_urls.portal)),
    path("portal/", include("xuala.portal.urls")),
    path("console/quotes/", include("xuala.quotes.urls_console")),
    path("console/meetings/", include("xuala.meetings.urls_console")),
    path("console/kb/", include("xuala.kb.urls_console")),
    path("console/sentry/", include("xuala.sentry.urls_console")),
    path("console/wsa/", include("xuala.wsa.urls_console")),
    path("console/updates/", include(updates_urls.console)),
    path("console/antispam/", include("xuala.antispam.urls_console")),
    path("console/triage/", include("xuala.triage.urls_console")),
    path("console/", include("xuala.console.urls")),
    prefix_default_language=False,
)

# Styled pages in the visitor's language (404: Django's handler renders templates/404.html).
handler500 = "xuala.core.views.server_error"
