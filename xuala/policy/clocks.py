"""SLA clocks: when a target falls due and how much of it has been used.

Pure Python (no Django). A clock decides which instants *count* towards a target:

* ``calendar``: every instant (24/7 real time);
* ``working_days``: every instant of a business day, from its local midnight to the next
  (the Spanish *días hábiles*: weekends and holidays stop the clock);
* ``business_hours``: only instants inside the calendar's opening slots.

Time is real elapsed time, exact to the microsecond (integers since the epoch; no floats).
See :mod:`xuala.policy.calendar` for how local wall time (and DST) maps to instants.

Pauses are intervals during which the clock is stopped (waiting on the client). They may
overlap, come in any order, start before ``start`` or run past the due instant. Running
time inside a pause does not count, so a pause can only move a due time later.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Sequence

from xuala.policy.calendar import (
    KIND_BUSINESS_HOURS,
    KIND_WORKING_DAYS,
    BusinessCalendar,
    from_us,
    timedelta_us,
    to_us,
)

__all__ = ["Clock", "Pause", "due_at", "elapsed"]


class Clock(enum.StrEnum):
    CALENDAR = "calendar"  # 24/7 real time
    WORKING_DAYS = "working_days"  # all 24 h of every business day (local date)
    BUSINESS_HOURS = "business_hours"  # only inside opening slots


Pause = tuple[_dt.datetime, _dt.datetime]

# Clock (or its string value: StrEnum members hash and compare as their values) → the
# calendar's running-set kind; None = real time.
_KINDS: dict[str, int | None] = {
    Clock.CALENDAR: None,
    Clock.WORKING_DAYS: KIND_WORKING_DAYS,
    Clock.BUSINESS_HOURS: KIND_BUSINESS_HOURS,
}
_UNKNOWN = object()
_ZERO = _dt.timedelta(0)


def _kind(clock: Clock | str) -> int | None:
    try:
        kind = _KINDS.get(clock, _UNKNOWN)
    except TypeError:  # unhashable
        kind = _UNKNOWN
    if kind is _UNKNOWN:
        choices = ", ".join(c.value for c in Clock)
        raise ValueError(f"unknown clock {clock!r}; expected one of: {choices}")
    return kind  # type: ignore[return-value]


def _merged_pauses(pauses: Sequence[Pause], lo: int, hi: int | None) -> list[list[int]]:
    """Pauses as sorted, disjoint [start, end) µs intervals clipped to [lo, hi)."""
    intervals: list[tuple[int, int]] = []
    for pause in pauses:
        try:
            p_start, p_end = pause
        except (TypeError, ValueError):
            raise ValueError(f"a pause must be a (start, end) pair: {pause!r}") from None
        a = to_us(p_start, "pause start")
        b = to_us(p_end, "pause end")
        if b < a:
            raise ValueError(f"pause ends before it starts: {pause!r}")
        if a < lo:
            a = lo
        if hi is not None and b > hi:
            b = hi
        if a < b:
            intervals.append((a, b))
    intervals.sort()
    merged: list[list[int]] = []
    for a, b in intervals:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1][1] = b
        else:
            merged.append([a, b])
    return merged


def due_at(
    start: _dt.datetime,
    duration: _dt.timedelta,
    calendar: BusinessCalendar,
    clock: Clock | str,
    pauses: Sequence[Pause] = (),
) -> _dt.datetime:
    """The instant at which the clock's running time since ``start`` reaches ``duration``.

    That is the moment the duration is used up: when it runs out exactly at the end of a
    running span, the end of that span is returned (not the next opening). A zero duration
    is due at ``start``. The result is an aware datetime in ``calendar.tz``.
    """
    kind = _kind(clock)
    s = to_us(start, "start")
    remaining = timedelta_us(duration)
    if remaining < 0:
        raise ValueError(f"duration must not be negative: {duration!r}")
    merged = _merged_pauses(pauses, s, None) if pauses else ()
    if remaining == 0:
        return from_us(s, calendar.tz)
    cur = s
    if kind is None:
        for p_start, p_end in merged:
            if p_start - cur >= remaining:
                break
            remaining -= p_start - cur
            cur = p_end
        return from_us(cur + remaining, calendar.tz)
    for p_start, p_end in merged:
        if p_start > cur:
            ran = calendar._running(kind, cur, p_start)
            if ran >= remaining:
                break
            remaining -= ran
        cur = p_end
    return from_us(calendar._advance(kind, cur, remaining), calendar.tz)


def elapsed(
    start: _dt.datetime,
    end: _dt.datetime,
    calendar: BusinessCalendar,
    clock: Clock | str,
    pauses: Sequence[Pause] = (),
) -> _dt.timedelta:
    """Running time of the clock in ``[start, end)`` outside the pauses (0 if end <= start)."""
    kind = _kind(clock)
    s = to_us(start, "start")
    e = to_us(end, "end")
    merged = _merged_pauses(pauses, s, e) if pauses else ()
    if e <= s:
        return _ZERO
    if kind is None:
        total = e - s
        for p_start, p_end in merged:
            total -= p_end - p_start
    else:
        running = calendar._running
        total = running(kind, s, e)
        for p_start, p_end in merged:
            total -= running(kind, p_start, p_end)
    return _dt.timedelta(microseconds=total)
