from django.apps import AppConfig


class AntispamConfig(AppConfig):
    name = "xuala.antispam"
    label = "antispam"
