"""Anti-spam in the agent console (mounted at console/antispam/ inside i18n_patterns)."""

from django.urls import path

from xuala.antispam import views

app_name = "antispam_console"
urlpatterns = [
    path("", views.sites_view, name="sites"),
    path("sites/<int:pk>/", views.site_view, name="site"),
    path("checks/<int:pk>/correct/", views.correct_view, name="correct"),
]
