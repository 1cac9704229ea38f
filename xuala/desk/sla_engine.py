"""The SLA sweep: warns agents before targets and due times pass, and records breaches.

Tickets whose clock is running carry ``sla_next_at``, the next instant the sweep
must act on them (a due row). One step:

1. Select up to ``batch`` tickets with ``sla_next_at <= now`` (indexed; on
   PostgreSQL locked with SKIP LOCKED so parallel sweeps take different rows).
2. Claim each with a conditional update on (id, sla_stage): if another sweep
   advanced the stage first, nothing changes and the ticket is skipped.
3. Act on the claimed stage: write its event (sla.target_warning, sla.target_missed,
   sla.due_warning, sla.breached), notify, and set the next stage's instant.

Any number of sweeps on any number of hosts may run; none acts on a stage twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xuala.desk.clocks import refresh_queue_fields, sla_stages
from xuala.desk.events import event_record
from xuala.desk.models import Ticket
from xuala.notify.services import email_enqueue

log = logging.getLogger(__name__)


def sla_sweep_step(*, now: datetime | None = None, batch: int = 200) -> int:
    """Act on every SLA stage that has come due; returns the number of stages handled."""
    now = now or timezone.now()
    handled = 0
    with transaction.atomic():
        due = Ticket.objects.filter(sla_next_at__lte=now).order_by("sla_next_at")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", "sla_stage")[:batch])
    for pk, stage in ids:
        with transaction.atomic():
            ticket = (Ticket.objects.select_related("policy_version", "assignee", "customer")
                      .get(pk=pk))
            stages = sla_stages(ticket)
            if ticket.sla_stage != stage or stage >= len(stages):
                continue
            when, key = stages[stage]
            _refresh_for_stage(ticket, stage + 1)
            claimed = Ticket.objects.filter(pk=pk, sla_stage=stage).update(
                sla_stage=stage + 1, sla_next_at=ticket.sla_next_at,
                target_missed_at=ticket.target_missed_at if key != "sla.target_missed" else when,
                breached_at=ticket.breached_at if key != "sla.breached" else when,
            )
            if not claimed:
                continue  # another sweep got there first
            event_record(ticket=ticket, key=key, at=now, stage_at=when.isoformat())
            _notify(ticket, key, when)
            handled += 1
    return handled


def _refresh_for_stage(ticket: Ticket, next_stage: int) -> None:
    ticket.sla_stage = next_stage
    refresh_queue_fields(ticket)


def _notify(ticket: Ticket, key: str, when: datetime) -> None:
    to = ticket.assignee.email if ticket.assignee else settings.XUALA_AGENTS_EMAIL
    what = {
        "sla.target_warning": "target approaching",
        "sla.target_missed": "target missed",
        "sla.due_warning": "due time approaching",
        "sla.breached": "DUE TIME BREACHED",
    }[key]
    email_enqueue(
        to=to, purpose=key, ticket=ticket,
        subject=f"[{ticket.reference}] SLA {what}: {ticket.subject}",
        body_text=(f"Ticket {ticket.reference} ({ticket.customer}, {ticket.ticket_class}): "
                   f"{what} at {when.isoformat()}.\nTarget: {ticket.target_at.isoformat()}\n"
                   f"Due: {ticket.due_at.isoformat()}\n"),
    )
