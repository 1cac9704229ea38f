"""Property tests of the SLA clocks (hypothesis, deterministic profile).

Random starts cover 2026–2028 with extra weight on the weeks around each DST change, given
in UTC, Madrid or Tokyo time, with microseconds. Instants are compared in UTC: Python
compares two datetimes of the *same* zone by wall time (ignoring fold) and never finds an
ambiguous wall time equal to a datetime of another zone (PEP 495). For the same reason
arithmetic is done on UTC datetimes: ``madrid_dt + timedelta`` is wall-clock arithmetic
that drops ``fold``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

import businesstimedelta
import holidays
import pytz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuala.policy.calendar import BusinessCalendar
from xuala.policy.clocks import Clock, due_at, elapsed

settings.register_profile(
    "xuala-policy-clocks",
    max_examples=200,
    derandomize=True,  # the same examples on every run and machine
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("xuala-policy-clocks")

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
ONE_US = timedelta(microseconds=1)
OFFICE = BusinessCalendar(
    timezone="Europe/Madrid", weekly_hours={day: [(540, 1200)] for day in range(5)}
)
# Open every day, with a slot across the DST hours (01:30–02:45: 30 min on the spring-forward
# Sunday, 1 h 15 min on the fall-back one) and a slot ending at midnight.
NIGHT = BusinessCalendar(
    timezone="Europe/Madrid",
    weekly_hours={day: [(90, 165), (600, 1080), (1380, 1440)] for day in range(7)},
)
CALENDARS = st.sampled_from([OFFICE, NIGHT])

_LO = int(datetime(2026, 1, 1, tzinfo=MADRID).timestamp())
_HI = int(datetime(2029, 1, 1, tzinfo=MADRID).timestamp())
# The DST changes of Europe/Madrid in 2026–2028 (01:00 UTC on the last Sunday of Mar/Oct).
DST_CHANGES = [
    int(datetime(y, m, d, 1, tzinfo=UTC).timestamp())
    for y, m, d in [
        (2026, 3, 29),
        (2026, 10, 25),
        (2027, 3, 28),
        (2027, 10, 31),
        (2028, 3, 26),
        (2028, 10, 29),
    ]
]
DST_DATES = {datetime.fromtimestamp(t, MADRID).date() for t in DST_CHANGES}


def _instant(seconds: int, micro: int, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micro).astimezone(zone)


seconds = st.one_of(
    st.integers(_LO, _HI),
    st.builds(
        lambda t, off: t + off, st.sampled_from(DST_CHANGES), st.integers(-4 * 86400, 4 * 86400)
    ),
)
instants = st.builds(
    _instant,
    seconds,
    st.one_of(st.just(0), st.integers(0, 999_999)),
    st.sampled_from([UTC, MADRID, TOKYO]),
)
durations = st.builds(
    lambda s, us: timedelta(seconds=s, microseconds=us),
    st.one_of(st.integers(0, 6 * 3600), st.integers(0, 20 * 86400)),
    st.one_of(st.just(0), st.integers(0, 999_999)),
)
clocks = st.sampled_from(list(Clock))
# Pauses relative to the start: (offset, length) in seconds; offsets may be negative.
pause_specs = st.lists(
    st.tuples(st.integers(-3 * 86400, 15 * 86400), st.integers(0, 3 * 86400)), max_size=4
)


def _pauses(start: datetime, specs) -> list[tuple[datetime, datetime]]:
    return [
        (u(start) + timedelta(seconds=off), u(start) + timedelta(seconds=off + length))
        for off, length in specs
    ]


def u(t: datetime) -> datetime:
    return t.astimezone(UTC)


# ---------------------------------------------------------------- round trip and minimality


@PROFILE
@given(CALENDARS, clocks, instants, durations)
def test_it_measures_exactly_the_duration_up_to_the_due_time(cal, clock, start, duration):
    due = due_at(start, duration, cal, clock)
    assert due.tzinfo is cal.tz
    assert u(due) >= u(start)
    assert elapsed(start, due, cal, clock) == duration
    if duration:  # the earliest such instant: one microsecond before, it is not used up
        assert elapsed(start, u(due) - ONE_US, cal, clock) < duration


@PROFILE
@given(CALENDARS, clocks, instants, durations, pause_specs)
def test_it_measures_exactly_the_duration_up_to_the_due_time_with_pauses(
    cal, clock, start, duration, specs
):
    pauses = _pauses(start, specs)
    due = due_at(start, duration, cal, clock, pauses)
    assert elapsed(start, due, cal, clock, pauses) == duration
    if duration:
        assert elapsed(start, u(due) - ONE_US, cal, clock, pauses) < duration


@PROFILE
@given(instants, durations)
def test_it_adds_real_time_on_the_calendar_clock(start, duration):
    assert u(due_at(start, duration, OFFICE, Clock.CALENDAR)) == u(start) + duration


# ---------------------------------------------------------------- monotonicity


@PROFILE
@given(CALENDARS, clocks, instants, st.integers(0, 5 * 86400 * 1_000_000), durations)
def test_it_never_brings_a_due_time_earlier_for_a_later_start(
    cal, clock, start, shift_us, duration
):
    later = u(start) + timedelta(microseconds=shift_us)
    assert u(due_at(start, duration, cal, clock)) <= u(due_at(later, duration, cal, clock))


@PROFILE
@given(CALENDARS, clocks, instants, durations, durations)
def test_it_never_brings_a_due_time_earlier_for_a_longer_duration(cal, clock, start, d1, d2):
    short, long_ = sorted((d1, d2))
    assert u(due_at(start, short, cal, clock)) <= u(due_at(start, long_, cal, clock))


@PROFILE
@given(CALENDARS, clocks, instants, durations, pause_specs)
def test_it_only_ever_moves_a_due_time_later_for_pauses(cal, clock, start, duration, specs):
    pauses = _pauses(start, specs)
    plain = due_at(start, duration, cal, clock)
    paused = due_at(start, duration, cal, clock, pauses)
    assert u(paused) >= u(plain)
    assert due_at(start, duration, cal, clock, list(reversed(pauses))) == paused
    end = u(start) + timedelta(days=10)
    assert elapsed(start, end, cal, clock, pauses) <= elapsed(start, end, cal, clock)


# ---------------------------------------------------------------- additivity


@PROFILE
@given(CALENDARS, clocks, st.lists(instants, min_size=3, max_size=3), pause_specs)
def test_it_adds_up_elapsed_time_over_consecutive_windows(cal, clock, points, specs):
    a, b, c = sorted(points, key=u)
    pauses = _pauses(a, specs)
    assert elapsed(a, b, cal, clock, pauses) + elapsed(b, c, cal, clock, pauses) == elapsed(
        a, c, cal, clock, pauses
    )
    assert elapsed(c, a, cal, clock, pauses) == timedelta(0)


# ---------------------------------------------------------------- independent oracles


def _reference_working_days(start: datetime, end: datetime) -> timedelta:
    """Day by day, straight from zoneinfo and the holidays package (Madrid midnights are
    never ambiguous nor skipped, so ``datetime(y, m, d, tzinfo=MADRID)`` is exact)."""
    es = holidays.country_holidays("ES", years=range(2025, 2031))
    total = timedelta(0)
    day = start.astimezone(MADRID).date()
    while True:
        a = datetime(day.year, day.month, day.day, tzinfo=MADRID).astimezone(UTC)
        if a >= u(end):
            return total
        nxt = day + timedelta(days=1)
        b = datetime(nxt.year, nxt.month, nxt.day, tzinfo=MADRID).astimezone(UTC)
        if day.weekday() < 5 and day not in es:
            lo, hi = max(a, u(start)), min(b, u(end))
            if hi > lo:
                total += hi - lo
        day = nxt


@PROFILE
@given(instants, st.integers(0, 20 * 86400 * 1_000_000))
def test_it_agrees_with_a_day_by_day_working_days_reference(start, length_us):
    end = u(start) + timedelta(microseconds=length_us)
    assert elapsed(start, end, OFFICE, Clock.WORKING_DAYS) == _reference_working_days(start, end)


@PROFILE
@given(CALENDARS, instants)
def test_it_is_open_exactly_where_the_business_hours_clock_runs(cal, t):
    runs = elapsed(t, u(t) + ONE_US, cal, Clock.BUSINESS_HOURS) == ONE_US
    assert cal.is_open(t) is runs
    local = t.astimezone(MADRID)
    if local.date() not in DST_DATES:  # away from DST changes, plain wall-clock reading
        minute = local.hour * 60 + local.minute
        slots = cal._hours[local.weekday()]
        expected = cal.is_business_day(local.date()) and any(a <= minute < b for a, b in slots)
        assert cal.is_open(t) is expected


@PROFILE
@given(CALENDARS, instants)
def test_it_finds_the_next_opening_with_no_running_time_before_it(cal, t):
    opening = cal.next_opening(t)
    assert u(opening) >= u(t)
    assert cal.is_open(opening)
    assert elapsed(t, opening, cal, Clock.BUSINESS_HOURS) == timedelta(0)
    assert (u(opening) == u(t)) is cal.is_open(t)


@PROFILE
@given(CALENDARS, instants, st.integers(0, 10 * 86400 * 1_000_000))
def test_it_lists_intervals_that_add_up_to_the_business_hours_clock(cal, start, length_us):
    end = u(start) + timedelta(microseconds=length_us)
    intervals = [(u(a), u(b)) for a, b in cal.open_intervals(start, end)]
    total = sum((b - a for a, b in intervals), timedelta(0))
    assert total == elapsed(start, end, cal, Clock.BUSINESS_HOURS)
    for (a, b), (c, _) in pairwise(intervals):
        assert a < b < c  # sorted, disjoint and not touching
    assert all(u(start) <= a < b <= u(end) for a, b in intervals)


# ---------------------------------------------------------------- businesstimedelta


# businesstimedelta 1.0.1 needs a pytz zone (it calls tz.localize) on both rules: the
# HolidayRule defaults to UTC otherwise. Europe/Madrid changes at 02:00/03:00, outside
# 09:00–20:00, so its DST handling (a holiday's end is start + 24 h in the fixed offset)
# never matters here and starts need not avoid DST weeks. Known differences, avoided:
# it drops microseconds (whole-second instants only) and for a zero duration it returns the
# next opening instead of the start (durations >= 1 s).
_PYTZ_MADRID = pytz.timezone("Europe/Madrid")
BTD_RULE = businesstimedelta.Rules(
    [
        businesstimedelta.WorkDayRule(
            start_time=time(9), end_time=time(20), working_days=[0, 1, 2, 3, 4], tz=_PYTZ_MADRID
        ),
        businesstimedelta.HolidayRule(
            holidays.country_holidays("ES", years=range(2025, 2032)), tz=_PYTZ_MADRID
        ),
    ]
)
whole_second_instants = st.builds(
    _instant, seconds, st.just(0), st.sampled_from([UTC, MADRID, TOKYO])
)


@PROFILE
@given(whole_second_instants, st.one_of(st.integers(1, 11 * 3600), st.integers(1, 100 * 3600)))
def test_it_agrees_with_businesstimedelta_on_business_hours_due_times(start, duration_s):
    duration = timedelta(seconds=duration_s)
    ours = due_at(start, duration, OFFICE, Clock.BUSINESS_HOURS)
    theirs = u(start) + businesstimedelta.BusinessTimeDelta(BTD_RULE, timedelta=duration)
    assert u(ours) == u(theirs)


@PROFILE
@given(whole_second_instants, st.integers(0, 15 * 86400))
def test_it_agrees_with_businesstimedelta_on_elapsed_business_hours(start, length_s):
    end = u(start) + timedelta(seconds=length_s)
    theirs = BTD_RULE.difference(start, end).timedelta
    assert elapsed(start, end, OFFICE, Clock.BUSINESS_HOURS) == theirs


def test_it_checks_the_businesstimedelta_peer_on_a_hand_case():
    # Guards the comparison itself: a misconfigured peer (UTC holidays, no holidays) fails here.
    start = datetime(2026, 12, 7, 19, tzinfo=MADRID)  # Monday; Tuesday 8 Dec is a holiday
    theirs = start + businesstimedelta.BusinessTimeDelta(BTD_RULE, hours=2)
    assert u(theirs) == u(datetime(2026, 12, 9, 10, tzinfo=MADRID))
    assert date(2026, 12, 8) in BTD_RULE.unavailable_rules[0].holidays
