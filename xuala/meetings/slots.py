"""Free meeting slots: pure Python (no Django), so it can be property-tested.

A slot is free for an agent when it lies, whole, inside

1. one opening interval of the policy's business calendar (never on holidays or
   weekends, never outside the opening hours), and
2. one of the agent's availability windows for that day, in the agent's own time zone
   (weekly windows, adjusted by exceptions), and
3. no interval in which the agent is busy (existing meetings).

Wall times become instants by the rule the business calendar uses: an ambiguous wall time
(the repeated hour in autumn) is its first occurrence, a non-existent one (the skipped hour
in spring) is the instant the clocks change. So 10:00 in Madrid is 09:00 UTC in winter and
08:00 UTC in summer, whatever the date arithmetic in between.

``free_slots`` offers the earliest slots at least ``notice`` after ``now``, starting on
``step`` boundaries of the policy's local wall clock, never overlapping one another. With
``per_day`` it takes at most that many a day, spread over the day's free time (a morning
and an afternoon choice rather than two touching half hours).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from xuala.policy.calendar import wall_instant

__all__ = ["Availability", "DayException", "Slot", "free_intervals", "free_slots",
           "is_free"]

UTC = _dt.UTC
_ONE_DAY = _dt.timedelta(days=1)
DEFAULT_STEP = _dt.timedelta(minutes=15)
DEFAULT_HORIZON = _dt.timedelta(days=62)

Interval = tuple[_dt.datetime, _dt.datetime]


class Calendar(Protocol):
    """What slot generation needs of xuala.policy.calendar.BusinessCalendar."""

    tz: ZoneInfo

    def open_intervals(self, start: _dt.datetime,
                       end: _dt.datetime) -> Iterable[Interval]: ...


@dataclass(frozen=True)
class DayException:
    """One date of the agent's calendar: ``off`` (whole day when no times) or ``extra``."""

    date: _dt.date
    kind: str  # "off" | "extra"
    starts: _dt.time | None = None
    ends: _dt.time | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("off", "extra"):
            raise ValueError(f"kind must be 'off' or 'extra', got {self.kind!r}")
        if (self.starts is None) != (self.ends is None):
            raise ValueError("give both times or neither")
        if self.starts is None and self.kind == "extra":
            raise ValueError("extra availability needs its times")
        if self.starts is not None and self.ends <= self.starts:
            raise ValueError("an exception must end after it starts")


@dataclass(frozen=True)
class Availability:
    """An agent's weekly windows (0 = Monday) in local wall time of ``timezone``.

    On one date the windows are: the weekly ones (none if a whole-day ``off`` exception
    exists), plus the ``extra`` windows, minus the hours of partial ``off`` exceptions.
    """

    timezone: ZoneInfo
    weekly: Mapping[int, Sequence[tuple[_dt.time, _dt.time]]]
    exceptions: Sequence[DayException] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if isinstance(self.timezone, str):
            object.__setattr__(self, "timezone", ZoneInfo(self.timezone))
        for weekday, windows in self.weekly.items():
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0..6, got {weekday!r}")
            for start, end in windows:
                if end <= start:
                    raise ValueError(f"a window must end after it starts: {start}-{end}")

    def windows_on(self, day: _dt.date) -> list[Interval]:
        """The day's windows as instants (UTC), sorted and merged."""
        tz = self.timezone
        todays = [e for e in self.exceptions if e.date == day]
        whole_day_off = any(e.kind == "off" and e.starts is None for e in todays)
        wall: list[tuple[_dt.time, _dt.time]] = [] if whole_day_off else list(
            self.weekly.get(day.weekday(), ()))
        wall += [(e.starts, e.ends) for e in todays if e.kind == "extra"]
        windows = _merge([(wall_instant(day, s, tz), wall_instant(day, e, tz)) for s, e in wall])
        offs = [(wall_instant(day, e.starts, tz), wall_instant(day, e.ends, tz))
                for e in todays if e.kind == "off" and e.starts is not None]
        return _subtract(windows, _merge(offs))

    def windows(self, start: _dt.datetime, end: _dt.datetime) -> list[Interval]:
        """Every window that meets [start, end), clipped to it, sorted and merged."""
        tz = self.timezone
        day = start.astimezone(tz).date() - _ONE_DAY
        last = end.astimezone(tz).date() + _ONE_DAY
        found: list[Interval] = []
        while day <= last:
            found += self.windows_on(day)
            day += _ONE_DAY
        return _clip(_merge(found), start, end)


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: _dt.datetime
    ends_at: _dt.datetime


# ---------------------------------------------------------------- interval arithmetic
# Lists of half-open [start, end) intervals, sorted by start.

def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _subtract(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    j = 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(b) and b[k][0] < e:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def _clip(intervals: Sequence[Interval], start: _dt.datetime, end: _dt.datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if e > start and s < end]


def _utc(value: _dt.datetime, name: str) -> _dt.datetime:
    if not isinstance(value, _dt.datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value.astimezone(UTC)


# ---------------------------------------------------------------- the answers

def free_intervals(*, calendar: Calendar, availability: Availability | None,
                   busy: Iterable[Interval], start: _dt.datetime,
                   end: _dt.datetime) -> list[Interval]:
    """The agent's free time in [start, end): open hours ∩ availability − busy (UTC).

    ``availability=None`` means the opening hours alone (an agent fixing a time by hand).
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return []
    opened = _merge((s.astimezone(UTC), e.astimezone(UTC))
                    for s, e in calendar.open_intervals(start, end))
    if availability is not None:
        opened = _intersect(opened, availability.windows(start, end))
    taken = _merge((_utc(s, "busy start"), _utc(e, "busy end")) for s, e in busy)
    return _subtract(opened, taken)


def is_free(*, calendar: Calendar, availability: Availability | None,
            busy: Iterable[Interval], starts_at: _dt.datetime, ends_at: _dt.datetime) -> bool:
    """Whether [starts_at, ends_at) lies whole inside the agent's free time."""
    starts_at, ends_at = _utc(starts_at, "starts_at"), _utc(ends_at, "ends_at")
    if ends_at <= starts_at:
        return False
    free = free_intervals(calendar=calendar, availability=availability, busy=busy,
                          start=starts_at - _ONE_DAY, end=ends_at + _ONE_DAY)
    return any(s <= starts_at and ends_at <= e for s, e in free)


def _aligned(instant: _dt.datetime, step: _dt.timedelta, tz: ZoneInfo) -> _dt.datetime:
    """The first instant at or after ``instant`` whose local wall time is on a step boundary."""
    local = instant.astimezone(tz)
    since_midnight = _dt.timedelta(hours=local.hour, minutes=local.minute,
                                   seconds=local.second, microseconds=local.microsecond)
    remainder = since_midnight % step
    return instant if not remainder else instant + (step - remainder)


def _candidates(free: Sequence[Interval], *, length: _dt.timedelta, step: _dt.timedelta,
                tz: ZoneInfo) -> Iterator[Slot]:
    """Non-overlapping slots on step boundaries, earliest first, tiling each free interval."""
    for s, e in free:
        start = _aligned(s, step, tz)
        while start + length <= e:
            yield Slot(start, start + length)
            # The next tile starts where this one ends, on the next boundary.
            start = _aligned(start + length, step, tz)


def free_slots(
    *,
    calendar: Calendar,
    availability: Availability | None,
    busy: Iterable[Interval] = (),
    length: _dt.timedelta,
    notice: _dt.timedelta,
    now: _dt.datetime,
    count: int,
    step: _dt.timedelta = DEFAULT_STEP,
    per_day: int | None = None,
    horizon: _dt.timedelta = DEFAULT_HORIZON,
) -> list[Slot]:
    """Up to ``count`` free slots of ``length``, sorted, the first at least ``notice``
    after ``now``, searched up to ``horizon`` ahead (times in UTC)."""
    if length <= _dt.timedelta(0) or step <= _dt.timedelta(0):
        raise ValueError("length and step must be positive")
    if count <= 0:
        return []
    if per_day is not None and per_day <= 0:
        raise ValueError("per_day must be positive")
    earliest = _utc(now, "now") + max(notice, _dt.timedelta(0))
    free = free_intervals(calendar=calendar, availability=availability, busy=busy,
                          start=earliest, end=earliest + horizon)
    tz = calendar.tz
    chosen: list[Slot] = []
    if per_day is None:
        for slot in _candidates(free, length=length, step=step, tz=tz):
            chosen.append(slot)
            if len(chosen) == count:
                break
        return chosen
    day: _dt.date | None = None
    todays: list[Slot] = []
    for slot in _candidates(free, length=length, step=step, tz=tz):
        slot_day = slot.starts_at.astimezone(tz).date()
        if slot_day != day:
            chosen += _spread(todays, per_day)
            if len(chosen) >= count:
                return chosen[:count]
            day, todays = slot_day, []
        todays.append(slot)
    chosen += _spread(todays, per_day)
    return chosen[:count]


def _spread(slots: Sequence[Slot], k: int) -> list[Slot]:
    """``k`` of the day's slots, evenly spaced from the first one."""
    n = len(slots)
    if n <= k:
        return list(slots)
    return [slots[i * n // k] for i in range(k)]
