from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "xuala.console"
    label = "console"
