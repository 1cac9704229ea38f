"""Online Sentry in the client area (mounted at portal/uptime/ inside i18n_patterns)."""

from django.urls import path

from xuala.sentry import views

app_name = "sentry_portal"
urlpatterns = [
    path("", views.portal_report, name="report"),
    path("monitors/<int:pk>/", views.portal_monitor, name="monitor"),
]
