"""The SLA sweep: warns agents before targets and due times pass, and records breaches.

Tickets whose clock is running carry ``sla_next_at``, the next instant the sweep
must act on them (a due row). One step, in one transaction:

1. Claim up to ``batch`` tickets with ``sla_next_at <= now`` through
   ``xuala.core.claims.claim_due``: the claim advances ``sla_stage`` and sets the next
   stage's instant, conditional on the ticket still being at the stage that was read
   (on PostgreSQL the rows are also locked with SKIP LOCKED, so parallel sweeps take
   different rows).
2. Act on each claimed stage: write its event (sla.target_warning, sla.target_missed,
   sla.due_warning, sla.breached) and notify.

Why no stage is acted on twice or lost: the claim and its event commit together (the step's
transaction holds the row locks until both are written), and a second sweep that read the
same stage finds ``sla_stage`` moved and claims nothing. A sweep that fails rolls back its
claims with its events, so the stages come due again. Any number of sweeps on any number of
hosts may run.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xuala.core.claims import claim_due
from xuala.desk.clocks import refresh_queue_fields, sla_stages
from xuala.desk.events import event_record
from xuala.desk.models import Ticket
from xuala.notify.services import email_enqueue

log = logging.getLogger(__name__)


def sla_sweep_step(*, now: datetime | None = None, batch: int = 200) -> int:
    """Act on every SLA stage that has come due; returns the number of stages handled."""
    now = now or timezone.now()
    acting: dict[int, tuple[datetime, str]] = {}  # ticket pk -> the claimed stage

    def next_stage(ticket: Ticket) -> dict | None:
        stages = sla_stages(ticket)
        stage = ticket.sla_stage
        if stage >= len(stages):
            return None
        when, key = stages[stage]
        _refresh_for_stage(ticket, stage + 1)
        acting[ticket.pk] = (when, key)
        return {"sla_stage": stage + 1, "sla_next_at": ticket.sla_next_at,
                "target_missed_at": when if key == "sla.target_missed" else ticket.target_missed_at,
                "breached_at": when if key == "sla.breached" else ticket.breached_at}

    with transaction.atomic():
        claimed = claim_due(
            Ticket.objects.select_related("policy_version", "assignee", "customer"),
            field="sla_next_at", now=now, batch=batch, update=next_stage, guard=["sla_stage"])
        for ticket in claimed:
            when, key = acting[ticket.pk]
            event_record(ticket=ticket, key=key, at=now, stage_at=when.isoformat())
            _notify(ticket, key, when)
    return len(claimed)


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
