"""`xuala demo [--if-empty]`: load the clearly marked demo data and print its passwords."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from xuala.core.demo import demo_load, demo_present
from xuala.customers.models import Customer


class Command(BaseCommand):
    help = "Load demo customers, agents and tickets in every state (once)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="only when the database holds no customers yet")

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Customer.objects.exists():
            return
        if demo_present():
            self.stdout.write("The demo is already loaded (its customers are marked [DEMO]).")
            return
        accounts = demo_load()
        self.stdout.write("Demo loaded. Accounts (passwords shown once):")
        for email, password in accounts.passwords.items():
            self.stdout.write(f"  {email:<24} {password}")
        self.stdout.write("Clients sign in at /portal/, agents at /console/ (agents enrol "
                          "a TOTP app on first sign-in).")
