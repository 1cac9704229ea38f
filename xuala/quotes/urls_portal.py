"""Quotes in the client area (mounted at portal/quotes/ inside i18n_patterns)."""

from django.urls import path

from xuala.quotes import views_portal as views

app_name = "quotes_portal"
urlpatterns = [
    path("", views.quote_list, name="list"),
    path("<str:number>/", views.quote_detail, name="detail"),
    path("<str:number>/pdf/", views.quote_pdf, name="pdf"),
    path("<str:number>/accept/", views.quote_accept, name="accept"),
    path("<str:number>/reject/", views.quote_reject, name="reject"),
]
