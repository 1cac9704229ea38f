"""The updates in the client area (mounted at portal/updates/ inside i18n_patterns)."""

from django.urls import path

from xuala.updates import views

app_name = "updates_portal"
urlpatterns = [
    path("", views.portal_index, name="index"),
    path("runs/<int:pk>/", views.portal_run, name="run"),
    path("images/<int:check_id>/", views.portal_image, name="image"),
    path("sites/<int:site_id>/hold/", views.portal_hold, name="hold"),
    path("sites/<int:site_id>/release/", views.portal_release, name="release"),
]
