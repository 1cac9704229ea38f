from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "xuala.accounts"
    label = "accounts"
    verbose_name = "Accounts"
