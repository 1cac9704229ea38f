"""The learned triage in the agent console (mounted at console/triage/ inside i18n_patterns)."""

from django.urls import path

from xuala.triage import views_console

app_name = "triage_console"
urlpatterns = [
    path("", views_console.model_view, name="model"),
]
