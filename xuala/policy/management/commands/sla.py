"""`xuala sla due --received ISO8601 [--plan standard|priority] [--emergency]`."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from xuala.policy.schema import TicketClass
from xuala.policy.selectors import policy_active
from xuala.policy.sla import SlaTimes, sla_times


class Command(BaseCommand):
    help = "Print when a request received at a given instant is due under the active policy."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser("due", help="target and due instants of one request")
        due.add_argument("--received", required=True, help="ISO 8601 instant with offset")
        due.add_argument("--plan", default="standard",
                         help="standard (no plan) or priority (a coverage plan client)")
        due.add_argument("--emergency", action="store_true",
                         help="a web-service emergency (calendar clock)")

    def handle(self, *args, action: str, received: str, plan: str, emergency: bool, **options):
        try:
            start = datetime.fromisoformat(received)
        except ValueError:
            raise CommandError(f"--received {received!r} is not an ISO 8601 instant",
                               returncode=2) from None
        if start.tzinfo is None or start.utcoffset() is None:
            raise CommandError(f"--received {received!r} has no UTC offset; give one "
                               "(e.g. 2026-11-27T19:30:00+01:00)", returncode=2)
        if plan not in (TicketClass.STANDARD, TicketClass.PRIORITY):
            raise CommandError(f"unknown plan {plan!r}: use standard or priority", returncode=2)
        ticket_class = TicketClass.EMERGENCY if emergency else TicketClass(plan)
        times = sla_times(loaded=policy_active(), received=start, ticket_class=ticket_class)
        self.stdout.write(json.dumps(_as_json(times)))


def _as_json(times: SlaTimes) -> dict[str, str]:
    return {
        "class": times.ticket_class.value,
        "clock": times.clock.value,
        "received": times.received.isoformat(),
        "target_at": times.target_at.isoformat(),
        "due_at": times.due_at.isoformat(),
    }
