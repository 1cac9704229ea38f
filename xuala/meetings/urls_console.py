"""Console routes of meetings, mounted at console/meetings/ inside i18n_patterns."""

from django.urls import path

from xuala.meetings import views_console as views

app_name = "meetings_console"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("availability/", views.availability_view, name="availability"),
    path("availability/windows/", views.availability_add_view, {"part": "window"},
         name="window_add"),
    path("availability/windows/<int:pk>/delete/", views.availability_remove_view,
         {"part": "window"}, name="window_remove"),
    path("availability/exceptions/", views.availability_add_view, {"part": "exception"},
         name="exception_add"),
    path("availability/exceptions/<int:pk>/delete/", views.availability_remove_view,
         {"part": "exception"}, name="exception_remove"),
    path("availability/timezone/", views.timezone_view, name="timezone"),
    path("tickets/<int:ticket_pk>/offer/", views.ticket_offer_view, name="ticket_offer"),
    path("<int:pk>/", views.request_view, name="request"),
    path("<int:pk>/offer/", views.offer_view, name="offer"),
    path("<int:pk>/confirm/", views.confirm_view, name="confirm"),
    path("<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("meetings/<int:pk>/reschedule/", views.reschedule_view, name="reschedule"),
    path("meetings/<int:pk>/cancel/", views.cancel_view, name="cancel"),
    path("meetings/<int:pk>/done/", views.done_view, name="done"),
]
