from django.urls import path  # noqa: F401

app_name = "quotes_console"
urlpatterns: list = []
