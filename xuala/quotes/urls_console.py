"""Quotes in the agent console (mounted at console/quotes/ inside i18n_patterns)."""

from django.urls import path

from xuala.quotes import views_console as views

app_name = "quotes_console"
urlpatterns = [
    path("", views.quote_list, name="list"),
    path("new/", views.quote_new, name="new"),
    path("ticket/<int:pk>/withdraw/", views.ticket_quote_withdraw, name="ticket_withdraw"),
    path("<str:number>/", views.quote_detail, name="detail"),
    path("<str:number>/edit/", views.quote_edit, name="edit"),
    path("<str:number>/pdf/", views.quote_pdf, name="pdf"),
    path("<str:number>/send/", views.quote_send, name="send"),
    path("<str:number>/withdraw/", views.quote_withdraw, name="withdraw"),
    path("<str:number>/lines/add/", views.quote_line_add, name="line_add"),
    path("<str:number>/lines/<int:pk>/edit/", views.quote_line_edit, name="line_edit"),
    path("<str:number>/lines/<int:pk>/remove/", views.quote_line_remove, name="line_remove"),
]
