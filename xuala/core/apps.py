from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "xuala.core"
    label = "core"
    verbose_name = "Core"
