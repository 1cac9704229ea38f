"""The client area's routes (mounted at portal/ inside i18n_patterns)."""

from django.urls import path

from xuala.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("mail/confirm/<str:token>/", views.mail_confirm, name="mail_confirm"),
]
