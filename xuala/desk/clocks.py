"""A ticket's clocks under the policy version that set them, and the queue columns they
derive (what the queue sorts on, when the SLA sweep next looks at the ticket)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from xuala.desk.events import event_record
from xuala.desk.models import DONE_STATUSES, PAUSED_STATUSES, Ticket, TicketPause
from xuala.desk.selectors import response_clock_running
from xuala.policy.loader import LoadedPolicy, parse_policy
from xuala.policy.models import PolicyVersion
from xuala.policy.schema import TicketClass
from xuala.policy.sla import SlaTimes, sla_times


@lru_cache(maxsize=16)
def _parsed(sha256: str, source: str) -> LoadedPolicy:
    return parse_policy(source, name=f"policy version {sha256[:12]}")


def policy_of_version(version: PolicyVersion) -> LoadedPolicy:
    return _parsed(version.sha256, version.source)


def ticket_times(ticket, *, pauses: list[tuple[datetime, datetime]] | None = None) -> SlaTimes:
    """Target and due instants of ``ticket``, counting the closed pauses given."""
    loaded = policy_of_version(ticket.policy_version)
    return sla_times(loaded=loaded, received=ticket.received_at,
                     ticket_class=ticket.ticket_class, pauses=pauses or ())



def _closed_pauses(ticket: Ticket) -> list[tuple[datetime, datetime]]:
    # Always from the database: a prefetched ticket.pauses would miss a pause just closed.
    return list(TicketPause.objects.filter(ticket=ticket, ended_at__isnull=False)
                .order_by("started_at").values_list("started_at", "ended_at"))


def sla_stages(ticket: Ticket) -> list[tuple[datetime, str]]:
    """The instants at which the SLA sweep acts on this ticket, in order."""
    loaded = policy_of_version(ticket.policy_version)
    target = loaded.policy.targets.for_class(ticket.ticket_class)
    stages: list[tuple[datetime, str]] = []
    for lead in target.warn_before:
        stages.append((ticket.target_at - lead, "sla.target_warning"))
    stages.append((ticket.target_at, "sla.target_missed"))
    if ticket.due_at != ticket.target_at:
        for lead in target.warn_before:
            stages.append((ticket.due_at - lead, "sla.due_warning"))
    stages.append((ticket.due_at, "sla.breached"))
    return sorted(stages, key=lambda s: s[0])


def refresh_queue_fields(ticket: Ticket) -> None:
    """Derive the clock and queue columns from the ticket's state."""
    done = ticket.status in DONE_STATUSES
    paused = ticket.status in PAUSED_STATUSES
    if not done and not paused:
        pauses = _closed_pauses(ticket) if ticket.pk else []
        times = ticket_times(ticket, pauses=pauses)
        ticket.target_at, ticket.due_at = times.target_at, times.due_at
    if done:
        ticket.queue_rank = 3
    elif paused:
        ticket.queue_rank = 2
    elif ticket.ticket_class == TicketClass.EMERGENCY:
        ticket.queue_rank = 0
    else:
        ticket.queue_rank = 1
    ticket.class_rank = 0 if ticket.ticket_class != TicketClass.STANDARD else 1
    if not response_clock_running(ticket):
        ticket.sla_next_at = None
        return
    stages = sla_stages(ticket)
    ticket.sla_next_at = stages[ticket.sla_stage][0] if ticket.sla_stage < len(stages) else None


def clock_pause(ticket: Ticket, status: str, at: datetime) -> None:
    if ticket.paused_since is None:
        TicketPause.objects.create(ticket=ticket, started_at=at, reason=status)
        ticket.paused_since = at
        event_record(ticket=ticket, key="sla.paused", at=at, reason=status)


def clock_resume(ticket: Ticket, at: datetime) -> None:
    if ticket.paused_since is not None:
        ticket.pauses.filter(ended_at__isnull=True).update(ended_at=at)
        ticket.paused_since = None
        event_record(ticket=ticket, key="sla.resumed", at=at)
