"""The agents' side of meetings: their time zone, weekly windows and exceptions (days off,
changed hours), from which the free slots are worked out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction

from xuala.meetings import slots
from xuala.meetings.errors import AvailabilityInvalid
from xuala.meetings.models import (
    AgentAvailability,
    AgentProfile,
    AvailabilityException,
    ExceptionKind,
    validate_timezone,
)


def agent_timezone_set(*, agent, timezone_name: str) -> AgentProfile:
    try:
        validate_timezone(timezone_name)
    except ValidationError:
        raise AvailabilityInvalid(f"unknown time zone {timezone_name!r}",
                                  code="timezone") from None
    profile, _created = AgentProfile.objects.get_or_create(agent=agent)
    profile.timezone = timezone_name
    profile.save(update_fields=["timezone"])
    return profile


def availability_add(*, agent, weekday: int, starts: time, ends: time) -> AgentAvailability:
    """A weekly window; it may not overlap another window of the same weekday."""
    if not 0 <= weekday <= 6:
        raise AvailabilityInvalid("weekday must be 0 (Monday) to 6 (Sunday)", code="weekday")
    if ends <= starts:
        raise AvailabilityInvalid("a window must end after it starts", code="order")
    if AgentAvailability.objects.filter(agent=agent, weekday=weekday, starts__lt=ends,
                                        ends__gt=starts).exists():
        raise AvailabilityInvalid("it overlaps another window of that day", code="overlap")
    AgentProfile.objects.get_or_create(agent=agent)  # the row bookings lock
    return AgentAvailability.objects.create(agent=agent, weekday=weekday, starts=starts,
                                            ends=ends)


@transaction.atomic
def availability_week_add(*, agent, weekdays: Sequence[int], starts: time,
                          ends: time) -> list[AgentAvailability]:
    """The same window on several weekdays at once (a working week): all of them, or none
    if one overlaps a window already there."""
    if not weekdays:
        raise AvailabilityInvalid("choose at least one weekday", code="weekday")
    return [availability_add(agent=agent, weekday=day, starts=starts, ends=ends)
            for day in sorted(set(weekdays))]


def availability_remove(*, agent, pk: int) -> None:
    AgentAvailability.objects.filter(agent=agent, pk=pk).delete()


def availability_exception_add(*, agent, date, kind: str, starts: time | None = None,
                               ends: time | None = None) -> AvailabilityException:
    try:
        slots.DayException(date=date, kind=kind, starts=starts, ends=ends)
    except ValueError as exc:
        raise AvailabilityInvalid(str(exc), code="exception") from None
    return AvailabilityException.objects.create(agent=agent, date=date,
                                                kind=ExceptionKind(kind), starts=starts,
                                                ends=ends)


def availability_exception_remove(*, agent, pk: int) -> None:
    AvailabilityException.objects.filter(agent=agent, pk=pk).delete()
