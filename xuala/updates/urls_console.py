"""The updates in the agent console (mounted at console/updates/ inside i18n_patterns)."""

from django.urls import path

from xuala.updates import views

app_name = "updates_console"
urlpatterns = [
    path("", views.console_runs, name="runs"),
    path("runs/<int:pk>/", views.console_run, name="run"),
    path("images/<int:pk>/", views.console_image, name="image"),
    path("sites/<int:site_id>/", views.console_site, name="site"),
    path("sites/<int:site_id>/run/", views.console_run_now, name="run_now"),
    path("sites/<int:site_id>/settings/", views.console_settings, name="settings"),
    path("held/<int:pk>/release/", views.console_release, name="release"),
]
