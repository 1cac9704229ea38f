"""Typed errors of meetings; each carries the policy clause it comes from, if any."""

from __future__ import annotations

from collections.abc import Sequence

from xuala.desk.errors import DeskError


class MeetingError(DeskError):
    """Base of the meeting errors (a DeskError, so interfaces can treat them alike)."""


class SlotTaken(MeetingError):
    """The chosen time is no longer free; ``alternatives`` are the slots offered instead."""

    def __init__(self, message: str, *, alternatives: Sequence = (), code: str = "taken",
                 clause: str | None = None):
        super().__init__(message, clause=clause, code=code)
        self.alternatives = list(alternatives)


class NoFreeSlots(MeetingError):
    """No agent has a free slot within the search horizon."""


class OutsideOpeningHours(MeetingError):
    """A time outside the policy's opening hours, or on a holiday (§1)."""


class AvailabilityInvalid(MeetingError):
    """An availability window or exception that cannot be stored as given."""
