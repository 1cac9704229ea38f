from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "xuala.triage"
    verbose_name = "Learned triage"
    default_auto_field = "django.db.models.BigAutoField"
