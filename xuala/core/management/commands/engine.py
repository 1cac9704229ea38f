"""`xuala engine NAME`: one due-row engine in a loop (xuala run starts each of them)."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from xuala.core.engine import run_forever

# Each engine's one step, by dotted path so that a process imports only the app it runs (the
# learned triage's step brings scikit-learn), and how long it idles when it found nothing due.
ENGINES = {
    "sla": ("xuala.desk.sla_engine.sla_sweep_step", 5.0),
    "outbox": ("xuala.notify.services.outbox_step", 1.0),
    "intake": ("xuala.intake.services.intake_step", 2.0),
    "quotes": ("xuala.quotes.services.quote_expire_due", 300.0),
    "meetings": ("xuala.meetings.services.meeting_reminders_step", 30.0),
    "wsa": ("xuala.wsa.services.wsa_step", 30.0),
    "updates": ("xuala.updates.services.updates_step", 30.0),
    "triage": ("xuala.triage.services.retrain_step", 3600.0),
}


class Command(BaseCommand):
    help = ("Run one engine (sla, outbox, intake, quotes, meetings, wsa, updates, triage) "
            "until stopped.")

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(ENGINES))

    def handle(self, *args, name: str, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        path, idle = ENGINES[name]
        run_forever(name, import_string(path), idle=idle)
