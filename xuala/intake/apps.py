from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "xuala.intake"
    label = "intake"
    verbose_name = "Mail intake"
