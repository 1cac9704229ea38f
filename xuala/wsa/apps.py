"""The Website Security Audit's Django app: the scanner (pure Python) and the desk's audits."""

from django.apps import AppConfig


class WsaConfig(AppConfig):
    name = "xuala.wsa"
    label = "wsa"
    verbose_name = "Website Security Audit"

    def ready(self) -> None:
        from xuala.wsa import services  # noqa: F401  (registers the WSA's job result handlers)
