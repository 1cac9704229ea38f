from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "xuala.quotes"
    label = "quotes"
