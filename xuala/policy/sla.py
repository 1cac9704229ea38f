"""Target and due instants of a request under a policy (pure Python)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from xuala.policy.clocks import Clock, Pause, due_at
from xuala.policy.loader import LoadedPolicy
from xuala.policy.schema import TicketClass


@dataclass(frozen=True)
class SlaTimes:
    ticket_class: TicketClass
    clock: Clock
    received: datetime
    target_at: datetime
    due_at: datetime
    clause: str


def sla_times(
    *,
    loaded: LoadedPolicy,
    received: datetime,
    ticket_class: TicketClass | str,
    pauses: Sequence[Pause] = (),
) -> SlaTimes:
    """Apply the policy's target for ``ticket_class`` to a request received at ``received``."""
    ticket_class = TicketClass(ticket_class)
    target = loaded.policy.targets.for_class(ticket_class)
    calendar = loaded.calendar
    clock = target.clock
    return SlaTimes(
        ticket_class=ticket_class,
        clock=clock,
        received=received.astimezone(calendar.tz),
        target_at=due_at(received, target.target, calendar, clock, pauses),
        due_at=due_at(received, target.due, calendar, clock, pauses),
        clause=target.clause,
    )
