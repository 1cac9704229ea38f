from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "xuala.notify"
    label = "notify"
