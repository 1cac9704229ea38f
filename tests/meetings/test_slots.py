"""Slot generation (pure): hand-computed cases across holidays, weekends, DST changes,
exceptions and busy time, and hypothesis properties.

The calendar is the policy's shape (Mon–Fri 09:00–20:00 Europe/Madrid, Spain's national
holidays), built directly so that these tests need no database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuala.meetings.slots import (
    Availability,
    DayException,
    Slot,
    free_slots,
    is_free,
)
from xuala.policy.calendar import BusinessCalendar, wall_instant

MADRID = ZoneInfo("Europe/Madrid")
CANARY = ZoneInfo("Atlantic/Canary")
OFFICE = BusinessCalendar(timezone="Europe/Madrid",
                          weekly_hours={day: [(540, 1200)] for day in range(5)})
# Open every day around the clock except 23:00–24:00: DST changes happen inside opening hours.
NIGHT = BusinessCalendar(timezone="Europe/Madrid",
                         weekly_hours={day: [(0, 1380)] for day in range(7)})
HALF_HOUR = timedelta(minutes=30)
DAY = timedelta(hours=24)


def madrid(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=MADRID)


def utc(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def weekdays(*windows: tuple[int, int, int, int], tz=MADRID, exceptions=()) -> Availability:
    """The same windows (h1, m1, h2, m2) every Monday to Friday."""
    spans = [(time(h1, m1), time(h2, m2)) for h1, m1, h2, m2 in windows]
    return Availability(timezone=tz, weekly={d: spans for d in range(5)},
                        exceptions=tuple(exceptions))


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.starts_at for s in slots]


def offer(*, availability, now, count=5, busy=(), notice=DAY, per_day=None, length=HALF_HOUR,
          calendar=OFFICE):
    return free_slots(calendar=calendar, availability=availability, busy=busy, length=length,
                      notice=notice, now=now, count=count, per_day=per_day)


MORNINGS = weekdays((10, 0, 12, 0))


# ---------------------------------------------------------------- hand-computed cases

def test_it_skips_the_8_december_holiday():
    """Monday 7 Dec 12:00 + 24 h notice lands on Tuesday 8 Dec (a national holiday): the
    first slots are on Wednesday 9 Dec at 10:00 CET (09:00 UTC)."""
    slots = offer(availability=MORNINGS, now=madrid(2026, 12, 7, 12))
    assert starts(slots) == [utc(2026, 12, 9, 9), utc(2026, 12, 9, 9, 30), utc(2026, 12, 9, 10),
                             utc(2026, 12, 9, 10, 30), utc(2026, 12, 10, 9)]
    assert all(s.ends_at - s.starts_at == HALF_HOUR for s in slots)


def test_it_skips_the_weekend():
    """Thursday 26 Nov 18:00 + 24 h: Friday 18:00 and 18:30, then Monday 30 Nov 16:00."""
    slots = offer(availability=weekdays((16, 0, 19, 0)), now=madrid(2026, 11, 26, 18))
    assert starts(slots) == [madrid(2026, 11, 27, 18), madrid(2026, 11, 27, 18, 30),
                             madrid(2026, 11, 30, 16), madrid(2026, 11, 30, 16, 30),
                             madrid(2026, 11, 30, 17)]


def test_it_follows_the_march_change_to_summer_time():
    """10:00 local is 09:00 UTC on Friday 27 March (CET) and 08:00 UTC on Monday 30 March
    (CEST, after the change on Sunday 29)."""
    slots = offer(availability=MORNINGS, now=madrid(2026, 3, 26, 10), count=6)
    assert starts(slots) == [utc(2026, 3, 27, 9), utc(2026, 3, 27, 9, 30), utc(2026, 3, 27, 10),
                             utc(2026, 3, 27, 10, 30), utc(2026, 3, 30, 8),
                             utc(2026, 3, 30, 8, 30)]


def test_it_follows_the_october_change_to_winter_time():
    """10:00 local is 08:00 UTC on Friday 23 October (CEST) and 09:00 UTC, not 08:00, on
    Monday 26 October (CET, after the change on Sunday 25)."""
    slots = offer(availability=MORNINGS, now=madrid(2026, 10, 22, 10), count=5)
    assert starts(slots) == [utc(2026, 10, 23, 8), utc(2026, 10, 23, 8, 30),
                             utc(2026, 10, 23, 9), utc(2026, 10, 23, 9, 30),
                             utc(2026, 10, 26, 9)]
    assert slots[-1].starts_at.astimezone(MADRID).hour == 10


def test_it_skips_a_day_off_and_honours_partial_exceptions():
    """Wednesday 25 Nov off; Thursday 26 Nov off from 10:00 to 11:00; extra hours on
    Friday 27 Nov evening are cut at the 20:00 closing; extra hours on Saturday give none."""
    exceptions = [
        DayException(date=date(2026, 11, 25), kind="off"),
        DayException(date=date(2026, 11, 26), kind="off", starts=time(10), ends=time(11)),
        DayException(date=date(2026, 11, 27), kind="extra", starts=time(19), ends=time(21)),
        DayException(date=date(2026, 11, 28), kind="extra", starts=time(10), ends=time(12)),
    ]
    availability = weekdays((10, 0, 12, 0), exceptions=exceptions)
    slots = offer(availability=availability, now=madrid(2026, 11, 23, 12), count=9)
    assert starts(slots) == [
        madrid(2026, 11, 26, 11), madrid(2026, 11, 26, 11, 30),
        madrid(2026, 11, 27, 10), madrid(2026, 11, 27, 10, 30), madrid(2026, 11, 27, 11),
        madrid(2026, 11, 27, 11, 30), madrid(2026, 11, 27, 19), madrid(2026, 11, 27, 19, 30),
        madrid(2026, 11, 30, 10)]


def test_it_never_overlaps_the_agents_meetings():
    """A meeting 10:30–11:00 and an unaligned one 11:10–11:40 leave 10:00 and 11:45 only
    (starts on quarter-hour boundaries)."""
    busy = [(madrid(2026, 11, 24, 10, 30), madrid(2026, 11, 24, 11)),
            (madrid(2026, 11, 24, 11, 10), madrid(2026, 11, 24, 11, 40))]
    slots = offer(availability=weekdays((10, 0, 12, 15)), now=madrid(2026, 11, 23, 9),
                  busy=busy, count=3)
    assert starts(slots) == [madrid(2026, 11, 24, 10), madrid(2026, 11, 24, 11, 45),
                             madrid(2026, 11, 25, 10)]


def test_it_keeps_the_notice_and_aligns_to_quarter_hours():
    """Now 09:07 + 24 h: the first slot starts at 09:15 the next day, then tiles on."""
    slots = offer(availability=weekdays((9, 0, 11, 0)), now=madrid(2026, 11, 23, 9, 7), count=3)
    assert starts(slots) == [madrid(2026, 11, 24, 9, 15), madrid(2026, 11, 24, 9, 45),
                             madrid(2026, 11, 24, 10, 15)]


def test_it_reads_availability_in_the_agents_own_time_zone():
    """An agent in the Canaries (one hour behind Madrid) free 07:00–09:00 local is free
    08:00–10:00 Madrid time; only 09:00–10:00 lies inside the opening hours."""
    slots = offer(availability=weekdays((7, 0, 9, 0), tz=CANARY), now=madrid(2026, 11, 23, 8),
                  count=3)
    assert starts(slots) == [madrid(2026, 11, 24, 9), madrid(2026, 11, 24, 9, 30),
                             madrid(2026, 11, 25, 9)]


def test_it_spreads_the_slots_over_each_day():
    """With two a day over a 09:00–20:00 window: 09:00 and 14:30 each working day."""
    slots = offer(availability=weekdays((9, 0, 20, 0)), now=madrid(2026, 11, 26, 12),
                  per_day=2, count=5)
    assert starts(slots) == [madrid(2026, 11, 27, 12), madrid(2026, 11, 27, 16),
                             madrid(2026, 11, 30, 9), madrid(2026, 11, 30, 14, 30),
                             madrid(2026, 12, 1, 9)]


def test_it_offers_nothing_without_availability_or_count():
    assert offer(availability=Availability(timezone=MADRID, weekly={}),
                 now=madrid(2026, 11, 23, 9)) == []
    assert offer(availability=MORNINGS, now=madrid(2026, 11, 23, 9), count=0) == []


def test_it_refuses_a_naive_now():
    with pytest.raises(ValueError, match="aware"):
        offer(availability=MORNINGS, now=datetime(2026, 11, 23, 9))


def test_wall_times_in_the_dst_gap_and_overlap_map_like_the_business_calendar():
    """02:30 on 29 March 2026 does not exist in Madrid: it is the change itself (01:00 UTC);
    02:30 on 25 October happens twice: the first one (00:30 UTC) counts."""
    assert wall_instant(date(2026, 3, 29), time(2, 30), MADRID) == utc(2026, 3, 29, 1)
    assert wall_instant(date(2026, 10, 25), time(2, 30), MADRID) == utc(2026, 10, 25, 0, 30)
    assert wall_instant(date(2026, 10, 26), time(10), MADRID) == utc(2026, 10, 26, 9)


def test_is_free_checks_hours_availability_and_busy_time():
    availability = MORNINGS
    start = madrid(2026, 11, 24, 10)
    assert is_free(calendar=OFFICE, availability=availability, busy=(), starts_at=start,
                   ends_at=start + HALF_HOUR)
    assert not is_free(calendar=OFFICE, availability=availability,
                       busy=[(start, start + HALF_HOUR)], starts_at=start,
                       ends_at=start + HALF_HOUR)
    # Inside opening hours, outside this agent's availability; without it, free.
    late = madrid(2026, 11, 24, 15)
    assert not is_free(calendar=OFFICE, availability=availability, busy=(), starts_at=late,
                       ends_at=late + HALF_HOUR)
    assert is_free(calendar=OFFICE, availability=None, busy=(), starts_at=late,
                   ends_at=late + HALF_HOUR)
    # The holiday and past the closing time.
    holiday = madrid(2026, 12, 8, 10)
    assert not is_free(calendar=OFFICE, availability=None, busy=(), starts_at=holiday,
                       ends_at=holiday + HALF_HOUR)
    closing = madrid(2026, 11, 24, 19, 45)
    assert not is_free(calendar=OFFICE, availability=None, busy=(), starts_at=closing,
                       ends_at=closing + HALF_HOUR)


# ---------------------------------------------------------------- properties

PROFILE = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

_LO = datetime(2026, 1, 1, tzinfo=UTC)
_DST = [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1), utc(2027, 3, 28, 1)]


@st.composite
def instants(draw) -> datetime:
    """Instants in 2026–2027, often within a week of a DST change or of 8 December."""
    anchor = draw(st.sampled_from([*_DST, utc(2026, 12, 8, 12), None]))
    if anchor is None:
        return _LO + timedelta(minutes=draw(st.integers(0, 2 * 365 * 1440)))
    return anchor + timedelta(minutes=draw(st.integers(-7 * 1440, 7 * 1440)))


@st.composite
def windows(draw) -> list[tuple[time, time]]:
    spans = []
    for _ in range(draw(st.integers(0, 3))):
        a = draw(st.integers(0, 1438))
        b = draw(st.integers(a + 1, 1439))
        spans.append((time(a // 60, a % 60), time(b // 60, b % 60)))
    return spans


@st.composite
def availabilities(draw) -> Availability:
    tz = draw(st.sampled_from([MADRID, CANARY, ZoneInfo("Asia/Tokyo")]))
    weekly = {d: draw(windows()) for d in range(7)}
    base = draw(instants()).date()
    exceptions = []
    for _ in range(draw(st.integers(0, 4))):
        day = base + timedelta(days=draw(st.integers(-2, 20)))
        if draw(st.booleans()):
            exceptions.append(DayException(date=day, kind="off"))
        else:
            a = draw(st.integers(0, 1438))
            b = draw(st.integers(a + 1, 1439))
            exceptions.append(DayException(date=day, kind=draw(st.sampled_from(["off", "extra"])),
                                           starts=time(a // 60, a % 60),
                                           ends=time(b // 60, b % 60)))
    return Availability(timezone=tz, weekly=weekly, exceptions=tuple(exceptions))


@PROFILE
@given(calendar=st.sampled_from([OFFICE, NIGHT]), availability=availabilities(),
       now=instants(), notice_minutes=st.integers(0, 72 * 60),
       length_minutes=st.sampled_from([15, 30, 45, 60, 90]), count=st.integers(1, 8),
       per_day=st.sampled_from([None, 1, 2, 3]),
       busy_offsets=st.lists(st.tuples(st.integers(0, 20 * 1440), st.integers(1, 300)),
                             max_size=6))
def test_every_slot_is_free_inside_hours_and_availability(calendar, availability, now,
                                                          notice_minutes, length_minutes,
                                                          count, per_day, busy_offsets):
    """Sorted, at most N, none overlapping another or the busy time, each inside one opening
    interval and one availability window, after the notice, on quarter-hour boundaries."""
    notice = timedelta(minutes=notice_minutes)
    length = timedelta(minutes=length_minutes)
    busy = [(now + timedelta(minutes=a), now + timedelta(minutes=a + n)) for a, n in busy_offsets]
    slots = free_slots(calendar=calendar, availability=availability, busy=busy, length=length,
                       notice=notice, now=now, count=count, per_day=per_day,
                       horizon=timedelta(days=21))
    assert len(slots) <= count
    assert slots == sorted(slots)
    for a, b in pairwise(slots):
        assert a.ends_at <= b.starts_at
    for slot in slots:
        assert slot.ends_at - slot.starts_at == length
        assert slot.starts_at >= now + notice
        assert slot.starts_at.tzinfo is UTC
        assert slot.starts_at.astimezone(MADRID).minute % 15 == 0
        # Open for the whole slot: the clipped opening intervals are the slot itself.
        assert [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in
                calendar.open_intervals(slot.starts_at, slot.ends_at)] == [
            (slot.starts_at, slot.ends_at)]
        assert availability.windows(slot.starts_at, slot.ends_at) == [
            (slot.starts_at, slot.ends_at)]
        for s, e in busy:
            assert slot.ends_at <= s or e <= slot.starts_at
    if per_day is not None:
        per: dict = {}
        for slot in slots:
            day = slot.starts_at.astimezone(MADRID).date()
            per[day] = per.get(day, 0) + 1
        assert max(per.values(), default=0) <= per_day


@settings(PROFILE, max_examples=60)
@given(availability=availabilities(), now=instants(), count=st.integers(1, 6))
def test_the_first_slot_is_the_earliest_free_one(availability, now, count):
    """Without spreading, no quarter-hour start before the first slot is free."""
    slots = free_slots(calendar=OFFICE, availability=availability, length=HALF_HOUR,
                       notice=timedelta(0), now=now, count=count, horizon=timedelta(days=3))
    end = slots[0].starts_at if slots else now + timedelta(days=3) - HALF_HOUR
    candidate = now.replace(second=0, microsecond=0)
    candidate += timedelta(minutes=-candidate.minute % 15)
    if candidate < now:
        candidate += timedelta(minutes=15)
    while candidate < end:
        assert not is_free(calendar=OFFICE, availability=availability, busy=(),
                           starts_at=candidate, ends_at=candidate + HALF_HOUR), candidate
        candidate += timedelta(minutes=15)
