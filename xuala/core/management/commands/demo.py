"""`xuala demo [--if-empty]`: load the clearly marked demo data and print its passwords."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q

from xuala.core.demo import demo_load, demo_present
from xuala.customers.models import Customer


class Command(BaseCommand):
    help = "Load demo customers, agents and tickets in every state (once)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="only when the database holds no customers yet")

    def handle(self, *args, if_empty: bool, **options):
        if demo_present():
            self.stdout.write("The demo is already loaded (its customers are marked [DEMO]); "
                              "nothing was changed.")
            self._how_to_reset()
            return
        if if_empty and Customer.objects.exists():
            self.stdout.write("The database already holds customers: the demo was not loaded.")
            return
        accounts = demo_load()
        self.stdout.write("Demo loaded. Accounts (passwords shown once):")
        for email, password in accounts.passwords.items():
            self.stdout.write(f"  {email:<24} {password}")
        self.stdout.write("Clients sign in at /portal/, agents at /console/ (agents enrol "
                          "a TOTP app on first sign-in).")

    def _how_to_reset(self) -> None:
        """Its passwords were shown once, when it was loaded: say how to set new ones."""
        from xuala.accounts.models import Role, User

        accounts = list(User.objects.filter(
            Q(contact__customer__is_demo=True) | Q(role__in=[Role.AGENT, Role.ADMIN]))
            .order_by("role", "email").values_list("email", flat=True).distinct())
        self.stdout.write("Its passwords were shown when it was loaded. To set a new one:")
        for email in accounts:
            self.stdout.write(f"  xuala changepassword {email}")
