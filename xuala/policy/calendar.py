"""The business calendar: opening hours and public holidays in one time zone.

Pure Python (no Django). It answers "is the desk open at this instant?", "when does it
next open?" and, for :mod:`xuala.policy.clocks`, "how much running time lies between two
instants?" for the two calendar-bound clocks.

Time model
----------
Every computation is done on *instants* held as integer microseconds since the Unix epoch
(UTC), so results are exact and independent of the process time zone (``TZ``). The local
wall clock of ``timezone`` only decides *which* instants count:

* a **business day** is a local date whose weekday has at least one opening slot and which
  is not a holiday;
* the **working-days** running set is, for every business day, ``[first instant of the
  date, first instant of the next date)`` (23 h or 25 h of real time on a DST-change day);
* the **business-hours** running set is, for every business day and every slot
  ``(start_minute, end_minute)`` of its weekday, ``[instant(start), instant(end))``.

Wall time → instant (DST)
-------------------------
A local wall time ``w`` on a date maps to *the first instant at which a wall clock in that
zone shows ``w`` or a later time*:

* a normal wall time maps to its only instant;
* an **ambiguous** wall time (fall-back, the repeated hour) maps to its *first* occurrence,
  i.e. ``fold=0`` in zoneinfo terms;
* a **non-existent** wall time (spring-forward gap) maps to the transition instant, the
  first valid instant after the gap (for Europe/Madrid on 2026-03-29, 02:30 → 03:00 CEST
  = 01:00 UTC).

The rule is monotone in ``w``, so slots that touch stay touching, consecutive days tile
exactly (24:00 of one date is 00:00 of the next), and a slot keeps its ordinary real length
unless a transition lies strictly inside it: a slot 01:00–04:00 is 2 h on the spring-forward
day and 4 h on the fall-back day, while a slot that *ends* inside the repeated hour closes
the first time the clock shows its end. Europe/Madrid changes at 02:00/03:00, so 09:00–20:00
slots are never affected; only whole working days are (23 h / 25 h).

Holidays come from the ``holidays`` package (``country_holidays(country, subdiv, years=y)``),
loaded lazily per year and cached, plus ``extra_holidays`` minus ``removed_holidays``.
The per-year running sets are built lazily, once per (clock kind, local year), as sorted
integer arrays with cumulative sums, so queries are two ``bisect`` calls.
"""

from __future__ import annotations

import datetime as _dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = ["BusinessCalendar", "NaiveDatetimeError", "wall_instant", "wall_to_us"]

_UTC = _dt.UTC
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_US = 1_000_000
_MINUTES_PER_DAY = 1440
_ONE_DAY = _dt.timedelta(days=1)
_AVG_YEAR_US = 31_556_952 * _US  # 365.2425 days: a first guess of the year of an instant
_SEARCH_YEARS = 3  # how far next_opening / due times look before giving up
_SEARCH_US = (366 * _SEARCH_YEARS) * 86_400 * _US
_HOLIDAY_FALLBACK_NAME = "Holiday"

# Clock kinds with a running set held in per-year tables (used by xuala.policy.clocks).
KIND_WORKING_DAYS = 0
KIND_BUSINESS_HOURS = 1


class NaiveDatetimeError(ValueError):
    """A naive datetime was passed where an aware one is required."""


def _naive_error(value: object, name: str) -> Exception:
    if isinstance(value, _dt.datetime):
        return NaiveDatetimeError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return TypeError(f"{name} must be an aware datetime, got {type(value).__name__}")


def to_us(value: _dt.datetime, name: str = "datetime") -> int:
    """Aware datetime → integer microseconds since the epoch (exact).

    Raises NaiveDatetimeError for a naive datetime and TypeError for anything that is not a
    datetime (a plain ``date`` included).
    """
    try:
        td = value - _EPOCH
    except TypeError:
        raise _naive_error(value, name) from None
    if not isinstance(td, _dt.timedelta):  # pragma: no cover - exotic operand types
        raise _naive_error(value, name)
    return (td.days * 86_400 + td.seconds) * _US + td.microseconds


def from_us(us: int, tz: _dt.tzinfo) -> _dt.datetime:
    """Integer microseconds since the epoch → aware datetime in ``tz`` (exact)."""
    seconds, micro = divmod(us, _US)
    result = _dt.datetime.fromtimestamp(seconds, tz)
    return result.replace(microsecond=micro) if micro else result


def wall_to_us(wall: _dt.datetime, tz: _dt.tzinfo) -> int:
    """The first instant (µs since the epoch) at which a clock in ``tz`` shows the naive
    ``wall`` time or a later one: the one local-time-to-instant rule of the desk (see the
    module's "Wall time → instant"): the first of a repeated hour, the transition for a
    time in a spring-forward gap."""
    wall = wall.replace(tzinfo=None, fold=0)
    first = to_us(wall.replace(tzinfo=tz))
    second = to_us(wall.replace(tzinfo=tz, fold=1))
    if first <= second:
        # Normal (equal) or ambiguous (fold=0 is the earlier, first occurrence).
        return first
    # Non-existent (in a gap): fold=1 gives an instant before the transition, fold=0 one
    # after it. Find the transition: the first second whose wall time is >= ``wall``.
    lo, hi = second // _US, -(-first // _US)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _dt.datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi * _US


def wall_instant(day: _dt.date, wall_time: _dt.time, tz: _dt.tzinfo) -> _dt.datetime:
    """The first instant (UTC) at which a clock in ``tz`` shows ``day`` ``wall_time`` or later."""
    return from_us(wall_to_us(_dt.datetime.combine(day, wall_time), tz), _UTC)


def timedelta_us(value: _dt.timedelta, name: str = "duration") -> int:
    if not isinstance(value, _dt.timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta, got {type(value).__name__}")
    return (value.days * 86_400 + value.seconds) * _US + value.microseconds


class _YearTable:
    """The running set of one clock kind within one local calendar year.

    ``starts``/``ends`` are the disjoint, sorted, non-touching spans (µs since the epoch)
    inside ``[ys, ye)``, the local year; ``cum[i]`` is the running time from ``ys`` to
    ``ends[i]``; ``total`` the running time of the whole year.
    """

    __slots__ = ("cum", "ends", "starts", "total", "ye", "ys")

    def __init__(self, ys: int, ye: int, starts: list[int], ends: list[int]) -> None:
        self.ys = ys
        self.ye = ye
        self.starts = starts
        self.ends = ends
        cum: list[int] = []
        acc = 0
        for s, e in zip(starts, ends, strict=True):
            acc += e - s
            cum.append(acc)
        self.cum = cum
        self.total = acc

    def running_before(self, x: int) -> int:
        """Running time from the start of the year up to instant x (ys <= x <= ye)."""
        i = bisect_right(self.starts, x) - 1
        if i < 0:
            return 0
        e = self.ends[i]
        return self.cum[i] - (e - x) if x < e else self.cum[i]

    def instant_at(self, amount: int) -> int:
        """Earliest instant where the running time since ys reaches amount (0 < amount <= total)."""
        i = bisect_left(self.cum, amount)
        return self.ends[i] - (self.cum[i] - amount)


class BusinessCalendar:
    """Weekly opening hours plus public holidays in one IANA time zone.

    ``weekly_hours`` maps a weekday (0 = Monday … 6 = Sunday) to its opening slots, each a
    ``(start_minute, end_minute)`` pair of local wall-clock minutes with
    ``0 <= start < end <= 1440``, sorted and non-overlapping (touching slots are allowed and
    are merged). A weekday that is missing or has no slots is closed.
    """

    tz: ZoneInfo

    def __init__(
        self,
        *,
        timezone: str,
        weekly_hours: Mapping[int, Sequence[tuple[int, int]]],
        holiday_country: str | None = "ES",
        holiday_subdivision: str | None = None,
        extra_holidays: Iterable[_dt.date] = (),
        removed_holidays: Iterable[_dt.date] = (),
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self._timezone = timezone
        self._hours = _normalise_weekly_hours(weekly_hours)
        if holiday_subdivision is not None and holiday_country is None:
            raise ValueError("holiday_subdivision needs a holiday_country")
        self._country = holiday_country
        self._subdivision = holiday_subdivision
        self._extra = frozenset(_plain_date(d, "extra_holidays") for d in extra_holidays)
        self._removed = frozenset(_plain_date(d, "removed_holidays") for d in removed_holidays)
        if holiday_country is not None:
            # Fail now, not on the first query, for an unknown country or subdivision.
            import holidays

            try:
                holidays.country_holidays(holiday_country, subdiv=holiday_subdivision, years=())
            except NotImplementedError as exc:
                raise ValueError(f"unsupported holiday country/subdivision: {exc}") from exc
        # Caches, filled lazily. Dict writes are atomic, and a race only builds a value twice.
        self._holiday_names: dict[int, Mapping[_dt.date, str]] = {}
        self._holiday_sets: dict[int, frozenset[_dt.date]] = {}
        self._tables: tuple[dict[int, _YearTable], dict[int, _YearTable]] = ({}, {})

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={self._timezone!r}, "
            f"holiday_country={self._country!r}, holiday_subdivision={self._subdivision!r})"
        )

    # ------------------------------------------------------------------ holidays

    def _holidays_of_year(self, year: int) -> frozenset[_dt.date]:
        found = self._holiday_sets.get(year)
        if found is None:
            names: dict[_dt.date, str] = {}
            if self._country is not None:
                import holidays

                package = holidays.country_holidays(
                    self._country, subdiv=self._subdivision, years=year
                )
                names.update((d, n) for d, n in package.items() if d.year == year)
            for d in self._extra:
                if d.year == year:
                    names.setdefault(d, _HOLIDAY_FALLBACK_NAME)
            for d in self._removed:
                names.pop(d, None)
            self._holiday_names[year] = MappingProxyType(names)
            found = self._holiday_sets[year] = frozenset(names)
        return found

    def _local_date(self, day: _dt.date, name: str = "day") -> _dt.date:
        if isinstance(day, _dt.datetime):
            to_us(day, name)  # naive check
            return day.astimezone(self.tz).date()
        if not isinstance(day, _dt.date):
            raise TypeError(f"{name} must be a datetime.date, got {type(day).__name__}")
        return day

    def is_holiday(self, day: _dt.date) -> bool:
        """Whether ``day`` is a holiday (an aware datetime is taken at its local date)."""
        day = self._local_date(day)
        return day in self._holidays_of_year(day.year)

    def holiday_name(self, day: _dt.date) -> str | None:
        """The holiday's name (as the ``holidays`` package gives it), or None."""
        day = self._local_date(day)
        self._holidays_of_year(day.year)
        return self._holiday_names[day.year].get(day)

    def is_business_day(self, day: _dt.date) -> bool:
        """The weekday has at least one opening slot and the date is not a holiday."""
        day = self._local_date(day)
        return bool(self._hours[day.weekday()]) and day not in self._holidays_of_year(day.year)

    # ------------------------------------------------------------------ wall time → instants

    def _wall_to_us(self, day: _dt.date, minute: int) -> int:
        """First instant at which the local wall clock shows ``day`` ``minute`` or later."""
        if minute >= _MINUTES_PER_DAY:
            day = day + _ONE_DAY
            minute -= _MINUTES_PER_DAY
        hour, minute = divmod(minute, 60)
        return wall_to_us(_dt.datetime(day.year, day.month, day.day, hour, minute), self.tz)

    def _table(self, kind: int, year: int) -> _YearTable:
        table = self._tables[kind].get(year)
        if table is None:
            table = self._tables[kind][year] = self._build_table(kind, year)
        return table

    def _build_table(self, kind: int, year: int) -> _YearTable:
        first_day = _dt.date(year, 1, 1)
        ys = self._wall_to_us(first_day, 0)
        ye = self._wall_to_us(_dt.date(year + 1, 1, 1), 0)
        closed = self._holidays_of_year(year)
        hours = self._hours
        whole_day = ((0, _MINUTES_PER_DAY),)
        starts: list[int] = []
        ends: list[int] = []
        midnight_cache: dict[_dt.date, int] = {}
        day = first_day
        while day.year == year:
            slots = hours[day.weekday()]
            if slots and day not in closed:
                for a, b in whole_day if kind == KIND_WORKING_DAYS else slots:
                    s = self._wall_to_us(day, a) if a else midnight_cache.get(day)
                    if s is None:
                        s = self._wall_to_us(day, 0)
                    e = self._wall_to_us(day, b)
                    if b == _MINUTES_PER_DAY:
                        midnight_cache[day + _ONE_DAY] = e
                    if e <= s:  # a slot swallowed by a DST gap
                        continue
                    if ends and s <= ends[-1]:
                        if e > ends[-1]:
                            ends[-1] = e
                    else:
                        starts.append(s)
                        ends.append(e)
            day += _ONE_DAY
        return _YearTable(ys, ye, starts, ends)

    def _locate(self, kind: int, x: int) -> tuple[int, _YearTable]:
        """The local year containing instant x and its table."""
        year = 1970 + x // _AVG_YEAR_US
        table = self._table(kind, year)
        while x < table.ys:
            year -= 1
            table = self._table(kind, year)
        while x >= table.ye:
            year += 1
            table = self._table(kind, year)
        return year, table

    # ------------------------------------------------------------------ running-set primitives
    # Used by xuala.policy.clocks; all in integer microseconds since the epoch.

    def _running(self, kind: int, a: int, b: int) -> int:
        """Running time of the clock kind in [a, b) (a <= b)."""
        year, table = self._locate(kind, a)
        if b < table.ye:
            return table.running_before(b) - table.running_before(a)
        total = table.total - table.running_before(a)
        while True:
            year += 1
            table = self._table(kind, year)
            if b < table.ye:
                return total + table.running_before(b)
            total += table.total

    def _advance(self, kind: int, a: int, amount: int) -> int:
        """Earliest instant x >= a with running time in [a, x) equal to amount (amount > 0).

        When the amount is used up exactly at the end of a running span, that end is the
        answer (not the next opening).
        """
        year, table = self._locate(kind, a)
        target = table.running_before(a) + amount
        empty_years = 0
        while target > table.total:
            target -= table.total
            year += 1
            table = self._table(kind, year)
            if table.total:
                empty_years = 0
            else:
                empty_years += 1
                if empty_years > _SEARCH_YEARS:
                    raise ValueError(f"the calendar never runs ({_SEARCH_YEARS} years closed)")
        return table.instant_at(target)

    # ------------------------------------------------------------------ public queries

    def is_open(self, t: _dt.datetime) -> bool:
        """Inside an opening slot (local wall time) on a business day. Slots are [start, end)."""
        x = to_us(t, "t")
        _, table = self._locate(KIND_BUSINESS_HOURS, x)
        i = bisect_right(table.starts, x) - 1
        return i >= 0 and x < table.ends[i]

    def next_opening(self, t: _dt.datetime) -> _dt.datetime:
        """``t`` itself (in ``self.tz``) if open, else the start of the next opening slot.

        Raises ValueError when there is no opening within 3 years (e.g. no opening hours).
        """
        x = to_us(t, "t")
        if not any(self._hours):
            raise ValueError("the calendar has no opening hours")
        limit = x + _SEARCH_US
        year, table = self._locate(KIND_BUSINESS_HOURS, x)
        i = bisect_right(table.starts, x) - 1
        if i >= 0 and x < table.ends[i]:
            return t.astimezone(self.tz)
        i += 1
        while True:
            if i < len(table.starts):
                start = table.starts[i]
                if start > limit:
                    break
                return from_us(start, self.tz)
            if table.ye > limit:
                break
            year += 1
            table = self._table(KIND_BUSINESS_HOURS, year)
            i = 0
        raise ValueError(f"no opening within {_SEARCH_YEARS} years after {t.isoformat()}")

    def open_intervals(
        self, start: _dt.datetime, end: _dt.datetime
    ) -> Iterator[tuple[_dt.datetime, _dt.datetime]]:
        """Opening intervals (aware, in ``self.tz``) clipped to ``[start, end)``, in order.

        Touching intervals are merged. Arguments are checked when called, not when iterated.
        """
        a = to_us(start, "start")
        b = to_us(end, "end")
        return self._open_intervals(a, b)

    def _open_intervals(self, a: int, b: int) -> Iterator[tuple[_dt.datetime, _dt.datetime]]:
        if b <= a:
            return
        tz = self.tz
        pending: tuple[int, int] | None = None
        year, table = self._locate(KIND_BUSINESS_HOURS, a)
        i = max(bisect_right(table.starts, a) - 1, 0)
        while True:
            starts, ends = table.starts, table.ends
            while i < len(starts):
                s, e = starts[i], ends[i]
                i += 1
                if s >= b:
                    break
                if e <= a:
                    continue
                s, e = max(s, a), min(e, b)
                if pending is not None:
                    if s <= pending[1]:
                        pending = (pending[0], max(e, pending[1]))
                        continue
                    yield from_us(pending[0], tz), from_us(pending[1], tz)
                pending = (s, e)
            else:
                if table.ye < b:
                    year += 1
                    table = self._table(KIND_BUSINESS_HOURS, year)
                    i = 0
                    continue
            break
        if pending is not None:
            yield from_us(pending[0], tz), from_us(pending[1], tz)


def _plain_date(value: object, name: str) -> _dt.date:
    if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
        raise TypeError(f"{name} must hold datetime.date values, got {value!r}")
    return value


def _normalise_weekly_hours(
    weekly_hours: Mapping[int, Sequence[tuple[int, int]]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    days: list[tuple[tuple[int, int], ...]] = [()] * 7
    for weekday, slots in weekly_hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be an int 0 (Monday) .. 6 (Sunday), got {weekday!r}")
        clean: list[tuple[int, int]] = []
        previous_end = 0
        for slot in slots:
            try:
                start, end = slot
            except (TypeError, ValueError):
                raise ValueError(
                    f"slot must be a (start_minute, end_minute) pair: {slot!r}"
                ) from None
            for v in (start, end):
                if isinstance(v, bool) or not isinstance(v, int):
                    raise ValueError(f"slot minutes must be ints: {slot!r}")
            if not 0 <= start < end <= _MINUTES_PER_DAY:
                raise ValueError(f"slot must satisfy 0 <= start < end <= 1440: {slot!r}")
            if start < previous_end:
                raise ValueError(
                    f"slots of weekday {weekday} must be sorted and non-overlapping: {slots!r}"
                )
            previous_end = end
            if clean and clean[-1][1] == start:  # touching slots: one slot
                clean[-1] = (clean[-1][0], end)
            else:
                clean.append((start, end))
        days[weekday] = tuple(clean)
    return tuple(days)
