from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "xuala.portal"
    label = "portal"
