"""The monitor state machine with confirmation (pure Python).

A change of state counts once it repeats: by default the failing check is
followed by an immediate re-check and then the next minute's check, and only the
third failure in a row opens an incident (recovery likewise). One lost packet
raises no alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

UNKNOWN, UP, DOWN = "unknown", "up", "down"
# Delays of the confirmation checks after the first one that disagrees: an immediate
# re-check (a couple of seconds, to let a connection reset settle), then the regular slot.
CONFIRMATIONS = (timedelta(seconds=2), None)  # None: the next regular slot


@dataclass(frozen=True)
class MonitorClock:
    state: str
    pending_state: str
    pending_since: datetime | None
    pending_count: int
    slot_at: datetime  # the regular slot of the check just made
    interval: timedelta


@dataclass(frozen=True)
class Step:
    state: str
    state_changed: bool
    pending_state: str
    pending_since: datetime | None
    pending_count: int
    next_check_at: datetime
    slot_at: datetime  # the regular slot the next check belongs to
    changed_since: datetime | None  # when a confirmed change began (its first check)


def next_slot(slot_at: datetime, interval: timedelta, now: datetime) -> datetime:
    """The first regular slot after ``now``, keeping the monitor's phase in the minute."""
    nxt = slot_at + interval
    if nxt <= now:
        missed = (now - nxt) // interval + 1
        nxt += missed * interval
    return nxt


def step(clock: MonitorClock, *, ok: bool, at: datetime, now: datetime) -> Step:
    observed = UP if ok else DOWN
    slot = next_slot(clock.slot_at, clock.interval, now)
    if clock.state == UNKNOWN and ok:
        return Step(UP, True, "", None, 0, slot, slot, at)
    if observed == clock.state:
        return Step(clock.state, False, "", None, 0, slot, slot, None)
    # A disagreement: start or continue confirming it.
    count = clock.pending_count + 1 if clock.pending_state == observed else 1
    since = clock.pending_since if clock.pending_state == observed else at
    if count > len(CONFIRMATIONS):
        return Step(observed, True, "", None, 0, slot, slot, since)
    delay = CONFIRMATIONS[count - 1]
    if delay is None:
        return Step(clock.state, False, observed, since, count, slot, slot, None)
    # The immediate re-check belongs to the same slot: the next one stays a minute after it.
    return Step(clock.state, False, observed, since, count, now + delay, clock.slot_at, None)
