"""`xuala engine NAME`: one due-row engine in a loop (xuala run starts each of them)."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand

from xuala.core.engine import run_forever


def _sla() -> int:
    from xuala.desk.sla_engine import sla_sweep_step

    return sla_sweep_step()


def _outbox() -> int:
    from xuala.notify.services import outbox_step

    return outbox_step()


def _intake() -> int:
    from xuala.intake.services import intake_step

    return intake_step()


def _quotes() -> int:
    from xuala.quotes.services import quote_expire_due

    return quote_expire_due()


def _meetings() -> int:
    from xuala.meetings.services import meeting_reminders_step

    return meeting_reminders_step()


def _wsa() -> int:
    from xuala.wsa.services import wsa_step

    return wsa_step()


def _updates() -> int:
    from xuala.updates.services import updates_step

    return updates_step()


def _triage() -> int:
    from xuala.triage.services import retrain_step

    return retrain_step()


ENGINES = {"sla": (_sla, 5.0), "outbox": (_outbox, 1.0), "intake": (_intake, 2.0),
           "quotes": (_quotes, 300.0), "meetings": (_meetings, 30.0), "wsa": (_wsa, 30.0),
           "updates": (_updates, 30.0), "triage": (_triage, 3600.0)}


class Command(BaseCommand):
    help = ("Run one engine (sla, outbox, intake, quotes, meetings, wsa, updates, triage) "
            "until stopped.")

    def add_arguments(self, parser):
        parser.add_argument("name", choices=sorted(ENGINES))

    def handle(self, *args, name: str, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        step, idle = ENGINES[name]
        run_forever(name, step, idle=idle)
