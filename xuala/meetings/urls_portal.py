"""Client area routes of meetings, mounted at portal/meetings/ inside i18n_patterns."""

from django.urls import path

from xuala.meetings import views_portal as views

app_name = "meetings_portal"
urlpatterns = [
    path("<int:pk>/", views.request_view, name="request"),
    path("<int:pk>/pick/", views.pick_view, name="pick"),
    path("<int:pk>/propose/", views.propose_view, name="propose"),
    path("<int:pk>/invite.ics", views.invitation_view, name="invitation"),
]
