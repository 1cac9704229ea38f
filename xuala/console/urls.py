"""URLs of the agent console, mounted at /console/ (Spanish) and /en/console/ (English)."""

from django.urls import path

from xuala.console import views

app_name = "console"
urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("login/", views.login_view, name="login"),
    path("2fa/", views.otp_view, name="otp"),
    path("2fa/setup/", views.otp_setup_view, name="otp_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("breaching/", views.breaching_view, name="breaching"),
    path("tickets/<int:pk>/", views.ticket_view, name="ticket"),
    path("tickets/<int:pk>/reply/", views.ticket_reply_view, name="ticket_reply"),
    path("tickets/<int:pk>/note/", views.ticket_note_view, name="ticket_note"),
    path("tickets/<int:pk>/assign/", views.ticket_assign_view, name="ticket_assign"),
    path("tickets/<int:pk>/status/", views.ticket_status_view, name="ticket_status"),
    path("tickets/<int:pk>/triage/apply/", views.ticket_triage_view, {"decision": "apply"},
         name="ticket_triage_apply"),
    path("tickets/<int:pk>/triage/dismiss/", views.ticket_triage_view, {"decision": "dismiss"},
         name="ticket_triage_dismiss"),
    path("tickets/<int:pk>/triage/change/", views.ticket_triage_rule_view, {"how": "change"},
         name="ticket_triage_change"),
    path("tickets/<int:pk>/triage/correct/", views.ticket_triage_rule_view, {"how": "correct"},
         name="ticket_triage_correct"),
    path("attachments/<int:pk>/", views.attachment_view, name="attachment"),
    path("canned/", views.canned_list_view, name="canned_list"),
    path("canned/new/", views.canned_edit_view, name="canned_create"),
    path("canned/<int:pk>/", views.canned_edit_view, name="canned_edit"),
    path("canned/<int:pk>/delete/", views.canned_delete_view, name="canned_delete"),
]
