"""The WSA in the agent console (mounted at console/wsa/ inside i18n_patterns)."""

from django.urls import path

from xuala.wsa import views

app_name = "wsa_console"
urlpatterns = [
    path("", views.console_sites, name="sites"),
    path("sites/<int:site_id>/", views.console_site, name="site"),
    path("sites/<int:site_id>/audit/", views.console_audit_now, name="audit_now"),
    path("sites/<int:site_id>/suspend/", views.console_suspend, name="suspend"),
    path("suspensions/<int:pk>/lift/", views.console_resume, name="resume"),
    path("audits/<int:pk>/", views.console_audit, name="audit"),
    path("findings/<int:pk>/approve/", views.console_finding_approve, name="approve"),
    path("findings/<int:pk>/keep/", views.console_finding_keep, name="keep"),
    path("findings/<int:pk>/restore/", views.console_finding_restore, name="restore"),
]
