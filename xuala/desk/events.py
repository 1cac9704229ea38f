"""The ticket's event log: every state change of the desk writes one row here."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from xuala.desk.models import Ticket, TicketEvent


def event_record(*, ticket: Ticket, key: str, actor=None, at: datetime | None = None,
                 **data) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, key=key, actor=actor,
                                      at=at or timezone.now(), data=data)
