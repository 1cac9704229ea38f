from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "xuala.desk"
    label = "desk"
