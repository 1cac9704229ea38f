"""A ticket's status and assignee: the moves allowed, the pauses of the clock they make."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from xuala.desk.clocks import clock_pause, clock_resume, refresh_queue_fields
from xuala.desk.errors import InvalidTransition
from xuala.desk.events import event_record
from xuala.desk.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    PAUSED_STATUSES,
    Status,
    Ticket,
)

ALLOWED = {
    Status.NEW: set(Status) - {Status.NEW},
    Status.OPEN: set(Status) - {Status.NEW, Status.OPEN},
    Status.WAITING_CLIENT: set(Status) - {Status.NEW, Status.WAITING_CLIENT},
    Status.WAITING_QUOTE: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.MEETING: {Status.OPEN, Status.WAITING_CLIENT, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


QUOTE_EXITS = frozenset({"quote.accepted", "quote.rejected", "quote.withdrawn",
                         "quote.expired"})


def statuses_reachable(status: str) -> list[str]:
    """The statuses an agent may move a ticket to by hand from ``status``, in order.

    None from "waiting on quote": only the quote's outcome moves such a ticket (§5).
    """
    if Status(status) == Status.WAITING_QUOTE:
        return []
    allowed = ALLOWED[Status(status)]
    return [s.value for s in Status if s in allowed]


def ticket_set_status(*, ticket: Ticket, status: str, actor=None, at: datetime | None = None,
                      reason: str = "") -> Ticket:
    """Move a ticket to ``status``; entering a waiting status pauses the clock, leaving resumes."""
    at = at or timezone.now()
    status = Status(status)
    old = Status(ticket.status)
    if status == old:
        return ticket
    if status not in ALLOWED[old]:
        raise InvalidTransition(f"a ticket cannot go from {old.value} to {status.value}",
                                code="transition")
    if old == Status.WAITING_QUOTE and reason not in QUOTE_EXITS:
        raise InvalidTransition("a ticket waiting on a quote moves only when the client "
                                "accepts or rejects it or the quote is withdrawn (§5)",
                                code="quote_pending")
    with transaction.atomic():
        if status in PAUSED_STATUSES:
            clock_pause(ticket, status, at)
        elif old in PAUSED_STATUSES:
            clock_resume(ticket, at)
        ticket.status = status
        if status in DONE_STATUSES and ticket.resolved_at is None:
            ticket.resolved_at = at
        if status in ACTIVE_STATUSES:
            ticket.resolved_at = None
        refresh_queue_fields(ticket)
        ticket.save()
        event_record(ticket=ticket, key="ticket.status_changed", actor=actor, at=at,
                     old=old.value, new=status.value, reason=reason)
    return ticket


def ticket_assign(*, ticket: Ticket, assignee, actor) -> Ticket:
    if assignee is not None and not getattr(assignee, "is_agent", False):
        raise InvalidTransition("only agents can be assigned", code="not_agent")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee)
    ticket.assignee = assignee
    event_record(ticket=ticket, key="ticket.assigned", actor=actor,
                 assignee=assignee.pk if assignee else None)
    return ticket
