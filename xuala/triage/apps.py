from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "xuala.triage"
    verbose_name = "Learned triage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from xuala.desk.models import TicketEvent
        from xuala.desk.triage import learned_triage_register
        from xuala.triage.learned import learned_prefetch, learned_triage
        from xuala.triage.signals import on_ticket_event

        post_save.connect(on_ticket_event, sender=TicketEvent, dispatch_uid="triage-examples")
        learned_triage_register(learned_triage, learned_prefetch)
