"""SLA clocks on the policy's default calendar, with hand-computed expectations.

Calendar: Europe/Madrid, Mon–Fri 09:00–20:00, Spain's national holidays (``holidays``, ES):
2026-12-08 Tue, 2026-12-25 Fri, 2027-01-01 Fri, 2027-01-06 Wed. Weekdays used:
2026-12-04 Fri, 2026-12-13 Sun, 2026-12-14 Mon, 2026-12-16 Wed, 2026-12-19 Sat,
2026-12-24 Thu, 2026-12-30 Wed, 2026-12-31 Thu, 2027-01-05 Tue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xuala.policy.calendar import BusinessCalendar, NaiveDatetimeError
from xuala.policy.clocks import Clock, due_at, elapsed

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
H = timedelta(hours=1)
CAL = BusinessCalendar(
    timezone="Europe/Madrid", weekly_hours={day: [(540, 1200)] for day in range(5)}
)
WD, BH, CLK = Clock.WORKING_DAYS, Clock.BUSINESS_HOURS, Clock.CALENDAR


def md(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=MADRID, fold=fold)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_same_instant_in_madrid(got: datetime, expected: datetime) -> None:
    assert got == expected
    assert got.tzinfo is CAL.tz
    assert got.utcoffset() == expected.utcoffset()


# ---------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Friday evening: Fri 19–24 (5 h), weekend stopped, Monday 00–19 (19 h).
        (md(2026, 12, 4, 19), 24, md(2026, 12, 7, 19)),
        # … 72 h: Fri 5 + Mon 24 + (Tue 8 Dec holiday) + Wed 24 + Thu 19.
        (md(2026, 12, 4, 19), 72, md(2026, 12, 10, 19)),
        # Saturday request, 24 h: all of Monday; used up at Monday 24:00 = Tuesday 00:00
        # (the end of the running span, not Wednesday 00:00 after the Tuesday holiday).
        (md(2026, 12, 5, 10), 24, md(2026, 12, 8, 0)),
        # Sunday-night request, 72 h: Mon, Tue, Wed whole → Thursday 00:00.
        (md(2026, 12, 13, 22), 72, md(2026, 12, 17, 0)),
        # Christmas Eve 15:00, 24 h: Thu 9 h, (Fri 25 holiday, weekend), Mon 28 15 h.
        (md(2026, 12, 24, 15), 24, md(2026, 12, 28, 15)),
        # New Year and Epiphany, 96 h: Wed 30 12 h, Thu 31 24 h, (Fri 1 Jan holiday,
        # weekend), Mon 4 24 h, Tue 5 24 h (84 h), (Wed 6 holiday), Thu 7 12 h.
        (md(2026, 12, 30, 12), 96, md(2027, 1, 7, 12)),
        # Started on a holiday: the clock starts on Wednesday 9 Dec.
        (md(2026, 12, 8, 11), 24, md(2026, 12, 10, 0)),
        # Zero duration: due at the start even when the clock is stopped.
        (md(2026, 12, 5, 10), 0, md(2026, 12, 5, 10)),
    ],
)
def test_it_computes_working_days_due_times(start, hours, expected):
    got = due_at(start, timedelta(hours=hours), CAL, WD)
    assert_same_instant_in_madrid(got, expected)
    assert elapsed(start, got, CAL, WD) == timedelta(hours=hours)


def test_it_honours_regional_holidays_on_the_working_days_clock():
    madrid_region = BusinessCalendar(
        timezone="Europe/Madrid",
        weekly_hours={day: [(540, 1200)] for day in range(5)},
        holiday_subdivision="MD",
    )
    # Mon 7 Dec is a holiday in the Community of Madrid, Tue 8 nationally.
    assert due_at(md(2026, 12, 5, 10), 24 * H, madrid_region, WD) == md(2026, 12, 10, 0)


def test_it_counts_a_business_day_on_a_dst_change_as_23_or_25_hours():
    every_day = BusinessCalendar(
        timezone="Europe/Madrid",
        weekly_hours={day: [(540, 1200)] for day in range(7)},
        holiday_country=None,
    )
    assert elapsed(md(2026, 3, 29), md(2026, 3, 30), every_day, WD) == 23 * H
    assert elapsed(md(2026, 10, 25), md(2026, 10, 26), every_day, WD) == 25 * H
    assert elapsed(md(2026, 3, 28), md(2026, 3, 29), every_day, WD) == 24 * H
    # 24 h from Saturday noon: 12 h on Saturday, 12 h of the 23-hour Sunday.
    assert due_at(md(2026, 3, 28, 12), 24 * H, every_day, WD) == md(2026, 3, 29, 13)
    assert due_at(md(2026, 10, 24, 12), 24 * H, every_day, WD) == md(2026, 10, 25, 11)
    # Slots of 09:00–20:00 are not touched by a 02:00/03:00 change.
    assert elapsed(md(2026, 3, 29), md(2026, 3, 30), every_day, BH) == 11 * H


# ---------------------------------------------------------------- calendar clock


def test_it_runs_a_4h_emergency_across_the_spring_forward_change():
    start = datetime.fromisoformat("2026-03-29T00:30:00+01:00")
    got = due_at(start, 4 * H, CAL, CLK)
    assert got.isoformat() == "2026-03-29T05:30:00+02:00"
    assert_same_instant_in_madrid(got, md(2026, 3, 29, 5, 30))


def test_it_runs_a_4h_emergency_across_the_fall_back_change():
    start = datetime.fromisoformat("2026-10-25T01:30:00+02:00")
    got = due_at(start, 4 * H, CAL, CLK)
    assert got.isoformat() == "2026-10-25T04:30:00+01:00"
    assert_same_instant_in_madrid(got, md(2026, 10, 25, 4, 30))


def test_it_runs_the_calendar_clock_through_weekends_and_holidays():
    assert due_at(md(2026, 12, 24, 22), 4 * H, CAL, CLK) == md(2026, 12, 25, 2)
    assert due_at(md(2026, 12, 5, 10), 72 * H, CAL, "calendar") == md(2026, 12, 8, 10)


def test_it_adds_the_merged_paused_time_to_a_calendar_clock():
    pauses = [
        (md(2026, 12, 14, 11), md(2026, 12, 14, 12)),
        (md(2026, 12, 14, 11, 30), md(2026, 12, 14, 12, 30)),  # overlaps the previous one
        (md(2026, 12, 14, 9), md(2026, 12, 14, 10, 30)),  # begins before the start
        (md(2026, 12, 14, 20), md(2026, 12, 14, 21)),  # after the due instant
    ]
    # 4 h of running time: 10:00–10:30 and 11:00–12:30 paused → 16:00.
    assert due_at(md(2026, 12, 14, 10), 4 * H, CAL, CLK, pauses) == md(2026, 12, 14, 16)
    assert elapsed(md(2026, 12, 14, 10), md(2026, 12, 14, 16), CAL, CLK, pauses) == 4 * H


# ---------------------------------------------------------------- business hours


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Friday 19:00, 11 h: Fri 1 h + Mon 10 h.
        (md(2026, 12, 4, 19), 11 * H, md(2026, 12, 7, 19)),
        # Friday 19:00, 24 h: Fri 1 + Mon 11 + (Tue holiday) + Wed 11 + Thu 1.
        (md(2026, 12, 4, 19), 24 * H, md(2026, 12, 10, 10)),
        # Evening request, 11 h: all of Thursday, used up at 20:00 (not Friday 09:00).
        (md(2026, 12, 16, 21), 11 * H, md(2026, 12, 17, 20)),
        # Saturday request, 2 h: Monday 09:00–11:00.
        (md(2026, 12, 19, 10), 2 * H, md(2026, 12, 21, 11)),
        # Christmas Eve 18:00, 3 h: Thu 2 h, (Fri 25 holiday, weekend), Mon 28 1 h.
        (md(2026, 12, 24, 18), 3 * H, md(2026, 12, 28, 10)),
        # New Year's Eve 19:00, 2 h: Thu 1 h, (Fri 1 Jan, weekend), Mon 4 Jan 1 h.
        (md(2026, 12, 31, 19), 2 * H, md(2027, 1, 4, 10)),
        # Epiphany: Tue 5 Jan 19:30, 1 h: Tue 30 min, (Wed 6 holiday), Thu 7 30 min.
        (md(2027, 1, 5, 19, 30), H, md(2027, 1, 7, 9, 30)),
        # Started before opening: Monday 07:00, 1 h 30 min → 10:30.
        (md(2026, 12, 14, 7), 90 * timedelta(minutes=1), md(2026, 12, 14, 10, 30)),
        # Summer time, instants given in UTC and Tokyo: Fri 3 Jul 2026 19:30 CEST, 1 h.
        (utc(2026, 7, 3, 17, 30), H, md(2026, 7, 6, 9, 30)),
        (datetime(2026, 7, 4, 2, 30, tzinfo=TOKYO), H, md(2026, 7, 6, 9, 30)),
        # Exact to the microsecond.
        (
            md(2026, 12, 14, 19, 59, 59, 999999),
            timedelta(microseconds=2),
            md(2026, 12, 15, 9, 0, 0, 1),
        ),
    ],
)
def test_it_computes_business_hours_due_times(start, duration, expected):
    got = due_at(start, duration, CAL, BH)
    assert_same_instant_in_madrid(got, expected)
    assert elapsed(start, got, CAL, BH) == duration


def test_it_skips_a_lunch_break_on_the_business_hours_clock():
    lunch = BusinessCalendar(
        timezone="Europe/Madrid",
        weekly_hours={day: [(540, 840), (900, 1200)] for day in range(5)},
    )
    assert due_at(md(2026, 12, 14, 13), 6 * H, lunch, BH) == md(2026, 12, 14, 20)
    assert due_at(md(2026, 12, 14, 13), H, lunch, BH) == md(2026, 12, 14, 14)
    assert elapsed(md(2026, 12, 14, 13), md(2026, 12, 14, 16), lunch, BH) == 2 * H


def test_it_measures_elapsed_business_hours_with_pauses():
    start, end = md(2026, 12, 14, 9), md(2026, 12, 16, 12)  # Mon 09:00 → Wed 12:00
    assert elapsed(start, end, CAL, BH) == 25 * H  # 11 + 11 + 3
    pauses = [
        (md(2026, 12, 15, 15, 30), md(2026, 12, 15, 17)),  # overlaps the next one
        (md(2026, 12, 14, 19), md(2026, 12, 15, 10)),  # Mon 1 h + Tue 1 h
        (md(2026, 12, 15, 15), md(2026, 12, 15, 16)),  # Tue 15:00–17:00 merged: 2 h
        (md(2026, 12, 13, 12), md(2026, 12, 14, 9, 30)),  # began before the start: 30 min
        (md(2026, 12, 16, 11), md(2026, 12, 17, 10)),  # runs past the end: 1 h inside
    ]
    assert elapsed(start, end, CAL, BH, pauses) == 19 * H + 30 * timedelta(minutes=1)
    # The same 19 h 30 min are used up on Wednesday at 11:00, when the last pause begins.
    assert due_at(start, 19.5 * H, CAL, BH, pauses) == md(2026, 12, 16, 11)
    assert due_at(start, 20 * H, CAL, BH, pauses) == md(2026, 12, 17, 10, 30)


def test_it_measures_elapsed_working_days_with_pauses():
    start, end = md(2026, 12, 4, 19), md(2026, 12, 10, 19)
    assert elapsed(start, end, CAL, WD) == 72 * H
    pauses = [(md(2026, 12, 5, 9), md(2026, 12, 7, 12))]  # weekend stopped anyway; Mon 12 h
    assert elapsed(start, end, CAL, WD, pauses) == 60 * H
    assert due_at(start, 72 * H, CAL, WD, pauses) == md(2026, 12, 11, 7)  # Thu 24 h, Fri 7 h


def test_it_ignores_pauses_outside_the_running_time():
    start = md(2026, 12, 4, 19)
    weekend = [(md(2026, 12, 5, 0), md(2026, 12, 7, 0))]
    assert due_at(start, 24 * H, CAL, WD, weekend) == md(2026, 12, 7, 19)
    assert due_at(start, 2 * H, CAL, BH, weekend) == md(2026, 12, 7, 10)


def test_it_delays_the_due_time_by_a_pause_open_at_the_start():
    pause = [(md(2026, 12, 14, 8), md(2026, 12, 14, 12))]
    assert due_at(md(2026, 12, 14, 10), H, CAL, BH, pause) == md(2026, 12, 14, 13)
    assert due_at(md(2026, 12, 14, 10), H, CAL, CLK, pause) == md(2026, 12, 14, 13)
    assert due_at(md(2026, 12, 14, 10), H, CAL, WD, pause) == md(2026, 12, 14, 13)


# ---------------------------------------------------------------- edges and errors


def test_it_returns_zero_elapsed_when_the_end_precedes_the_start():
    for clock in Clock:
        assert elapsed(md(2026, 12, 14, 12), md(2026, 12, 14, 11), CAL, clock) == timedelta(0)
        assert elapsed(md(2026, 12, 14, 12), md(2026, 12, 14, 12), CAL, clock) == timedelta(0)


def test_it_returns_the_start_in_the_calendar_zone_for_a_zero_duration():
    start = datetime(2026, 12, 5, 18, tzinfo=TOKYO)
    for clock in Clock:
        got = due_at(start, timedelta(0), CAL, clock)
        assert got == start
        assert got.tzinfo is CAL.tz


def test_it_accepts_clock_names_as_strings():
    start = md(2026, 12, 4, 19)
    assert due_at(start, 24 * H, CAL, "working_days") == due_at(start, 24 * H, CAL, WD)
    assert elapsed(start, md(2026, 12, 7, 10), CAL, "business_hours") == 2 * H


@pytest.mark.parametrize("clock", ["weekly", "", "WORKING_DAYS", None, ["calendar"]])
def test_it_rejects_unknown_clocks(clock):
    with pytest.raises(ValueError):
        due_at(md(2026, 12, 4, 19), H, CAL, clock)
    with pytest.raises(ValueError):
        elapsed(md(2026, 12, 4, 19), md(2026, 12, 5), CAL, clock)


def test_it_rejects_a_negative_duration():
    for clock in Clock:
        with pytest.raises(ValueError):
            due_at(md(2026, 12, 4, 19), -timedelta(microseconds=1), CAL, clock)


def test_it_rejects_a_pause_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        due_at(md(2026, 12, 4, 19), H, CAL, BH, [(md(2026, 12, 7, 12), md(2026, 12, 7, 11))])


@pytest.mark.parametrize("clock", list(Clock))
def test_it_raises_on_naive_datetimes(clock):
    naive, aware = datetime(2026, 12, 4, 19), md(2026, 12, 4, 19)
    with pytest.raises(NaiveDatetimeError):
        due_at(naive, H, CAL, clock)
    with pytest.raises(NaiveDatetimeError):
        due_at(aware, H, CAL, clock, [(naive, aware)])
    with pytest.raises(NaiveDatetimeError):
        due_at(aware, H, CAL, clock, [(aware, naive)])
    with pytest.raises(NaiveDatetimeError):
        elapsed(naive, aware, CAL, clock)
    with pytest.raises(NaiveDatetimeError):
        elapsed(aware, naive, CAL, clock)
    with pytest.raises(NaiveDatetimeError):
        elapsed(aware, md(2026, 12, 7), CAL, clock, [(aware, naive)])


def test_it_rejects_a_date_or_a_number_where_a_duration_or_instant_is_needed():
    with pytest.raises(TypeError):
        due_at(md(2026, 12, 4, 19), 3600, CAL, BH)
    with pytest.raises(TypeError):
        due_at(date(2026, 12, 4), H, CAL, BH)


def test_it_refuses_a_due_time_on_a_calendar_that_never_opens():
    closed = BusinessCalendar(timezone="Europe/Madrid", weekly_hours={}, holiday_country=None)
    for clock in (WD, BH):
        with pytest.raises(ValueError):
            due_at(md(2026, 12, 4, 19), H, closed, clock)
        assert elapsed(md(2026, 1, 1), md(2028, 1, 1), closed, clock) == timedelta(0)
    assert due_at(md(2026, 12, 4, 19), H, closed, CLK) == md(2026, 12, 4, 20)


def test_it_spans_long_durations_over_several_years():
    # Business days of 2027 counted by hand: weekdays minus the national holidays that fall
    # on one (1 Jan, 6 Jan, 26 Mar, 12 Oct, 1 Nov, 6 Dec, 8 Dec; 1 May and 25 Dec are Sat).
    start, end = md(2027, 1, 1), md(2028, 1, 1)
    weekdays = sum(1 for n in range(365) if (date(2027, 1, 1) + timedelta(n)).weekday() < 5)
    holidays_on_weekdays = sum(
        1
        for d in (
            date(2027, 1, 1),
            date(2027, 1, 6),
            date(2027, 3, 26),
            date(2027, 10, 12),
            date(2027, 11, 1),
            date(2027, 12, 6),
            date(2027, 12, 8),
        )
        if d.weekday() < 5
    )
    business_days = weekdays - holidays_on_weekdays
    assert elapsed(start, end, CAL, WD) == business_days * 24 * H
    assert elapsed(start, end, CAL, BH) == business_days * 11 * H
    assert due_at(start, business_days * 24 * H, CAL, WD) == md(2027, 12, 31) + 24 * H
    assert due_at(md(2026, 6, 1), business_days * 24 * H * 2, CAL, WD) > md(2028, 1, 1)
