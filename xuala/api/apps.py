from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "xuala.api"
    label = "api"
