"""The Website Security Audit's Django app (the scanner is pure Python; no models yet)."""

from django.apps import AppConfig


class WsaConfig(AppConfig):
    name = "xuala.wsa"
    label = "wsa"
    verbose_name = "Website Security Audit"
