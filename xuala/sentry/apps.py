"""Online Sentry's Django app."""

from django.apps import AppConfig


class SentryConfig(AppConfig):
    name = "xuala.sentry"
    label = "sentry"
    verbose_name = "Online Sentry"
