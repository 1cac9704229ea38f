from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "xuala.policy"
    label = "policy"
    verbose_name = "Support policy"
