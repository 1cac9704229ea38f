"""The updates' pages: ``portal`` is mounted at portal/updates/, ``console`` at
console/updates/ (both inside i18n_patterns). Each row: route, view, name."""

from django.urls import path

from xuala.updates import views

_PORTAL = [("", views.portal_index, "index"), ("runs/<int:pk>/", views.portal_run, "run"),
           ("images/<int:check_id>/", views.portal_image, "image"),
           ("sites/<int:site_id>/hold/", views.portal_hold, "hold"),
           ("sites/<int:site_id>/release/", views.portal_release, "release")]
_CONSOLE = [("", views.console_runs, "runs"), ("runs/<int:pk>/", views.console_run, "run"),
            ("images/<int:pk>/", views.console_image, "image"),
            ("sites/<int:site_id>/", views.console_site, "site"),
            ("sites/<int:site_id>/run/", views.console_run_now, "run_now"),
            ("sites/<int:site_id>/settings/", views.console_settings, "settings"),
            ("held/<int:pk>/release/", views.console_release, "release")]

portal = ([path(route, view, name=name) for route, view, name in _PORTAL], "updates_portal")
console = ([path(route, view, name=name) for route, view, name in _CONSOLE], "updates_console")
