from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "xuala.kb"
    label = "kb"
    verbose_name = "Knowledge base"
