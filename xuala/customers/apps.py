from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "xuala.customers"
    label = "customers"
