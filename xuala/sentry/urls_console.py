"""Online Sentry in the agent console (mounted at console/sentry/ inside i18n_patterns)."""

from django.urls import path

from xuala.sentry import views

app_name = "sentry_console"
urlpatterns = [
    path("", views.board_view, name="board"),
    path("incidents/<int:pk>/", views.incident_view, name="incident"),
    path("customers/<int:pk>/report/", views.customer_report_view, name="customer_report"),
    path("servers/", views.servers_view, name="servers"),
]
