from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "xuala.meetings"
    label = "meetings"
