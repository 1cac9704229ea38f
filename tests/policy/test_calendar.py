"""BusinessCalendar: holidays, opening hours, edges and DST (hand-computed expectations).

The office calendar is the policy's default: Europe/Madrid, Mon–Fri 09:00–20:00, Spain's
national holidays (``holidays`` package, ES). Dates used below, as the package gives them:
2026-12-08 Tue (Immaculate Conception), 2026-12-25 Fri (Christmas), 2027-01-01 Fri
(New Year), 2027-01-06 Wed (Epiphany). In 2026, 1 Nov and 6 Dec fall on Sundays.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xuala.policy.calendar import BusinessCalendar, NaiveDatetimeError

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
OFFICE_HOURS = {day: [(9 * 60, 20 * 60)] for day in range(5)}


def office(**kwargs) -> BusinessCalendar:
    return BusinessCalendar(timezone="Europe/Madrid", weekly_hours=OFFICE_HOURS, **kwargs)


def md(*args, fold: int = 0) -> datetime:
    """A Madrid wall time."""
    return datetime(*args, tzinfo=MADRID, fold=fold)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def as_utc(interval: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    return interval[0].astimezone(UTC), interval[1].astimezone(UTC)


# ---------------------------------------------------------------- holidays


def test_it_knows_the_spanish_national_holidays_of_the_policy_window():
    cal = office()
    for day in (date(2026, 12, 8), date(2026, 12, 25), date(2027, 1, 1), date(2027, 1, 6)):
        assert cal.is_holiday(day), day
        assert cal.holiday_name(day)
        assert not cal.is_business_day(day)
    assert cal.holiday_name(date(2026, 12, 8)) == "Immaculate Conception"
    for day in (date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 24), date(2027, 1, 5)):
        assert not cal.is_holiday(day), day
        assert cal.holiday_name(day) is None
        assert cal.is_business_day(day), day


def test_it_treats_weekends_as_closed_but_not_as_holidays():
    cal = office()
    assert not cal.is_business_day(date(2026, 12, 5))  # Saturday
    assert not cal.is_business_day(date(2026, 12, 6))  # Sunday (Constitution Day)
    assert not cal.is_holiday(date(2026, 12, 5))


def test_it_adds_and_removes_configured_holidays():
    cal = office(extra_holidays=[date(2026, 12, 7)], removed_holidays=[date(2026, 12, 8)])
    assert cal.is_holiday(date(2026, 12, 7))
    assert cal.holiday_name(date(2026, 12, 7)) == "Holiday"
    assert not cal.is_business_day(date(2026, 12, 7))
    assert not cal.is_holiday(date(2026, 12, 8))
    assert cal.holiday_name(date(2026, 12, 8)) is None
    assert cal.is_business_day(date(2026, 12, 8))
    assert not cal.is_open(md(2026, 12, 7, 12))
    assert cal.is_open(md(2026, 12, 8, 12))


def test_it_adds_a_region_s_holidays_with_a_subdivision():
    national, madrid = office(), office(holiday_subdivision="MD")
    # Monday 7 Dec 2026: Madrid moves Constitution Day (a Sunday) to the Monday.
    assert not national.is_holiday(date(2026, 12, 7))
    assert madrid.is_holiday(date(2026, 12, 7))
    assert madrid.is_holiday(date(2026, 12, 8))


def test_it_can_run_without_a_holiday_country():
    cal = office(holiday_country=None, extra_holidays=[date(2026, 12, 9)])
    assert not cal.is_holiday(date(2026, 12, 8))
    assert cal.is_business_day(date(2026, 12, 8))
    assert cal.is_holiday(date(2026, 12, 9))


def test_it_rejects_an_unknown_holiday_country():
    with pytest.raises(ValueError):
        office(holiday_country="XX")


def test_it_reads_an_aware_datetime_as_its_local_date():
    cal = office()
    # 2026-12-07 23:30 UTC is 2026-12-08 00:30 in Madrid: Immaculate Conception.
    assert cal.is_holiday(utc(2026, 12, 7, 23, 30))
    assert not cal.is_business_day(utc(2026, 12, 7, 23, 30))
    assert cal.is_business_day(utc(2026, 12, 7, 22, 30))


# ---------------------------------------------------------------- is_open / next_opening


def test_it_is_open_from_nine_inclusive_to_twenty_exclusive():
    cal = office()
    assert cal.is_open(md(2026, 12, 4, 9, 0))
    assert not cal.is_open(md(2026, 12, 4, 8, 59, 59, 999999))
    assert cal.is_open(md(2026, 12, 4, 19, 59, 59, 999999))
    assert not cal.is_open(md(2026, 12, 4, 20, 0))
    assert cal.is_open(utc(2026, 12, 4, 8, 0))  # 09:00 in Madrid (CET)
    assert not cal.is_open(utc(2026, 7, 3, 18, 30))  # 20:30 in Madrid (CEST)
    assert cal.is_open(utc(2026, 7, 3, 17, 30))  # 19:30 in Madrid (CEST)


def test_it_is_closed_on_holidays_and_weekends():
    cal = office()
    assert not cal.is_open(md(2026, 12, 8, 12))
    assert not cal.is_open(md(2026, 12, 25, 12))
    assert not cal.is_open(md(2026, 12, 5, 12))


def test_it_gives_the_instant_itself_as_next_opening_while_open():
    cal = office()
    t = utc(2026, 12, 4, 8, 0, 0, 1)
    opening = cal.next_opening(t)
    assert opening == t
    assert opening.tzinfo is cal.tz
    assert opening.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (md(2026, 12, 4, 20, 0), md(2026, 12, 7, 9, 0)),  # Friday 20:00 → Monday 09:00
        (md(2026, 12, 4, 8, 59), md(2026, 12, 4, 9, 0)),
        (md(2026, 12, 5, 13, 0), md(2026, 12, 7, 9, 0)),  # Saturday
        (md(2026, 12, 7, 20, 0), md(2026, 12, 9, 9, 0)),  # over the Tuesday holiday
        (md(2026, 12, 8, 10, 0), md(2026, 12, 9, 9, 0)),  # on the holiday
        (md(2026, 12, 24, 20, 0), md(2026, 12, 28, 9, 0)),  # Christmas Friday + weekend
        (md(2026, 12, 31, 23, 0), md(2027, 1, 4, 9, 0)),  # into the next year
        (md(2027, 1, 5, 21, 0), md(2027, 1, 7, 9, 0)),  # over Epiphany
        (md(2026, 3, 27, 20, 0), md(2026, 3, 30, 9, 0)),  # over the spring-forward weekend
    ],
)
def test_it_finds_the_next_opening(when, expected):
    opening = office().next_opening(when)
    assert opening == expected
    assert opening.utcoffset() == expected.utcoffset()
    assert opening.tzinfo is MADRID or opening.tzinfo == MADRID


def test_it_gives_up_looking_for_an_opening_after_three_years():
    with pytest.raises(ValueError):
        BusinessCalendar(timezone="Europe/Madrid", weekly_hours={}).next_opening(md(2026, 1, 1))
    with pytest.raises(ValueError):
        BusinessCalendar(
            timezone="Europe/Madrid", weekly_hours={0: []}, holiday_country=None
        ).next_opening(md(2026, 1, 1))
    # Open only on Mondays, and every Monday of four years is a holiday.
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(4 * 53)]
    cal = BusinessCalendar(
        timezone="Europe/Madrid", weekly_hours={0: [(540, 1200)]}, extra_holidays=mondays
    )
    with pytest.raises(ValueError):
        cal.next_opening(md(2026, 1, 1))
    # … but a Monday within the three years is found.
    cal = BusinessCalendar(
        timezone="Europe/Madrid",
        weekly_hours={0: [(540, 1200)]},
        holiday_country=None,
        extra_holidays=mondays[:100],
    )
    assert cal.next_opening(md(2026, 1, 1)) == md(2027, 12, 6, 9)


# ---------------------------------------------------------------- open_intervals


def test_it_lists_opening_intervals_clipped_to_the_window():
    cal = office()
    got = list(cal.open_intervals(md(2026, 12, 4, 10, 0), md(2026, 12, 10, 10, 0)))
    assert got == [
        (md(2026, 12, 4, 10), md(2026, 12, 4, 20)),
        (md(2026, 12, 7, 9), md(2026, 12, 7, 20)),
        # 8 December is a holiday
        (md(2026, 12, 9, 9), md(2026, 12, 9, 20)),
        (md(2026, 12, 10, 9), md(2026, 12, 10, 10)),
    ]
    assert all(a.tzinfo is cal.tz and b.tzinfo is cal.tz for a, b in got)


def test_it_lists_opening_intervals_across_the_new_year():
    got = list(office().open_intervals(md(2026, 12, 31, 19), md(2027, 1, 8, 0)))
    assert got == [
        (md(2026, 12, 31, 19), md(2026, 12, 31, 20)),
        (md(2027, 1, 4, 9), md(2027, 1, 4, 20)),
        (md(2027, 1, 5, 9), md(2027, 1, 5, 20)),
        (md(2027, 1, 7, 9), md(2027, 1, 7, 20)),
    ]


def test_it_lists_no_intervals_for_an_empty_or_closed_window():
    cal = office()
    assert list(cal.open_intervals(md(2026, 12, 4, 12), md(2026, 12, 4, 12))) == []
    assert list(cal.open_intervals(md(2026, 12, 4, 12), md(2026, 12, 4, 11))) == []
    assert list(cal.open_intervals(md(2026, 12, 4, 20), md(2026, 12, 7, 9))) == []


def test_it_merges_touching_intervals_of_an_always_open_calendar():
    always = BusinessCalendar(
        timezone="Europe/Madrid",
        weekly_hours={d: [(0, 1440)] for d in range(7)},
        holiday_country=None,
    )
    got = list(always.open_intervals(md(2026, 12, 30, 12), md(2027, 1, 2, 12)))
    assert got == [(md(2026, 12, 30, 12), md(2027, 1, 2, 12))]


def test_it_merges_touching_slots_and_keeps_lunch_breaks():
    cal = BusinessCalendar(
        timezone="Europe/Madrid",
        weekly_hours={0: [(540, 600), (600, 840), (900, 1200)]},
        holiday_country=None,
    )
    got = list(cal.open_intervals(md(2026, 12, 7), md(2026, 12, 8)))
    assert got == [
        (md(2026, 12, 7, 9), md(2026, 12, 7, 14)),
        (md(2026, 12, 7, 15), md(2026, 12, 7, 20)),
    ]
    assert not cal.is_open(md(2026, 12, 7, 14, 30))
    assert cal.next_opening(md(2026, 12, 7, 14, 30)) == md(2026, 12, 7, 15)


# ---------------------------------------------------------------- DST


def test_it_opens_a_slot_that_starts_in_the_spring_gap_at_the_transition():
    # Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    cal = BusinessCalendar(
        timezone="Europe/Madrid", weekly_hours={6: [(150, 240)]}, holiday_country=None
    )  # 02:30–04:00
    assert cal.next_opening(md(2026, 3, 29, 1, 0)) == utc(2026, 3, 29, 1, 0)
    assert cal.next_opening(md(2026, 3, 29, 1, 0)) == md(2026, 3, 29, 3, 0)
    assert not cal.is_open(utc(2026, 3, 29, 0, 59, 59))
    assert cal.is_open(utc(2026, 3, 29, 1, 0))
    assert list(cal.open_intervals(md(2026, 3, 29), md(2026, 3, 30))) == [
        (md(2026, 3, 29, 3, 0), md(2026, 3, 29, 4, 0))
    ]
    # An ordinary Sunday: 1 h 30 min.
    assert list(cal.open_intervals(md(2026, 3, 22), md(2026, 3, 23))) == [
        (md(2026, 3, 22, 2, 30), md(2026, 3, 22, 4, 0))
    ]


def test_it_drops_a_slot_that_lies_wholly_in_the_spring_gap():
    cal = BusinessCalendar(
        timezone="Europe/Madrid", weekly_hours={6: [(125, 175)]}, holiday_country=None
    )  # 02:05–02:55
    assert list(cal.open_intervals(md(2026, 3, 29), md(2026, 3, 30))) == []
    assert cal.next_opening(md(2026, 3, 29, 1, 0)) == md(2026, 4, 5, 2, 5)


def test_it_maps_ambiguous_slot_edges_to_their_first_occurrence():
    # Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:xx happens twice.
    cal = BusinessCalendar(
        timezone="Europe/Madrid", weekly_hours={6: [(60, 150), (180, 240)]}, holiday_country=None
    )  # 01:00–02:30 and 03:00–04:00
    # Compared in UTC: Python compares same-zone datetimes by wall time (fold ignored) and
    # never finds an ambiguous wall time equal to a datetime of another zone (PEP 495).
    got = [as_utc(interval) for interval in cal.open_intervals(md(2026, 10, 25), md(2026, 10, 26))]
    assert got == [
        (utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30)),  # 01:00 CEST – first 02:30 (CEST)
        (utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 3, 0)),  # 03:00 CET – 04:00 CET
    ]
    assert cal.is_open(md(2026, 10, 25, 2, 15, fold=0))  # first 02:15 (CEST)
    assert not cal.is_open(md(2026, 10, 25, 2, 15, fold=1))  # repeated 02:15 (CET)


def test_it_gives_a_slot_across_the_repeated_hour_its_real_length():
    cal = BusinessCalendar(
        timezone="Europe/Madrid", weekly_hours={6: [(60, 240)]}, holiday_country=None
    )  # 01:00–04:00: 4 h of real time on the fall-back Sunday, 2 h on the spring-forward one
    (fall,) = map(as_utc, cal.open_intervals(md(2026, 10, 25), md(2026, 10, 26)))
    assert fall == (utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))
    assert fall[1] - fall[0] == timedelta(hours=4)
    (spring,) = map(as_utc, cal.open_intervals(md(2026, 3, 29), md(2026, 3, 30)))
    assert spring == (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    assert spring[1] - spring[0] == timedelta(hours=2)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "weekly_hours",
    [
        {0: [(600, 540)]},
        {0: [(540, 540)]},
        {0: [(-1, 540)]},
        {0: [(540, 1441)]},
        {0: [(540, 700), (600, 800)]},  # overlapping
        {0: [(900, 1000), (540, 600)]},  # unsorted
        {7: [(540, 600)]},
        {-1: [(540, 600)]},
        {0: [(540.0, 600)]},
        {0: [(540, 600, 700)]},
        {True: [(540, 600)]},
    ],
)
def test_it_rejects_malformed_weekly_hours(weekly_hours):
    with pytest.raises(ValueError):
        BusinessCalendar(timezone="Europe/Madrid", weekly_hours=weekly_hours)


def test_it_rejects_an_unknown_time_zone():
    with pytest.raises(Exception):  # noqa: B017 - zoneinfo raises ZoneInfoNotFoundError/ValueError
        BusinessCalendar(timezone="Europe/Atlantis", weekly_hours=OFFICE_HOURS)


def test_it_exposes_its_zone():
    assert office().tz == MADRID


# ---------------------------------------------------------------- naive datetimes


def test_it_raises_on_naive_datetimes_everywhere():
    cal = office()
    naive = datetime(2026, 12, 4, 12)
    with pytest.raises(NaiveDatetimeError):
        cal.is_open(naive)
    with pytest.raises(NaiveDatetimeError):
        cal.next_opening(naive)
    with pytest.raises(NaiveDatetimeError):
        cal.open_intervals(naive, md(2026, 12, 5))  # raised on the call, not on iteration
    with pytest.raises(NaiveDatetimeError):
        cal.open_intervals(md(2026, 12, 5), naive)
    with pytest.raises(NaiveDatetimeError):
        cal.is_holiday(naive)
    with pytest.raises(NaiveDatetimeError):
        cal.is_business_day(naive)
    with pytest.raises(NaiveDatetimeError):
        cal.holiday_name(naive)
    assert issubclass(NaiveDatetimeError, ValueError)


def test_it_rejects_dates_where_instants_are_needed():
    with pytest.raises(TypeError):
        office().is_open(date(2026, 12, 4))


# ---------------------------------------------------------------- process time zone


@pytest.mark.parametrize("process_tz", ["Asia/Tokyo", "America/New_York", "UTC"])
def test_it_does_not_depend_on_the_process_time_zone(process_tz, monkeypatch):
    monkeypatch.setenv("TZ", process_tz)
    time.tzset()
    try:
        assert os.environ["TZ"] == process_tz
        cal = office()  # fresh caches, built under this process zone
        assert cal.next_opening(md(2026, 12, 4, 20)) == md(2026, 12, 7, 9)
        assert cal.next_opening(datetime(2026, 12, 5, 4, tzinfo=TOKYO)) == md(2026, 12, 7, 9)
        assert cal.is_open(datetime(2026, 12, 4, 17, 0, tzinfo=TOKYO))  # 09:00 Madrid
        assert not cal.is_open(datetime(2026, 12, 4, 16, 59, tzinfo=TOKYO))
        assert list(cal.open_intervals(md(2026, 3, 27, 19), md(2026, 3, 30, 10))) == [
            (md(2026, 3, 27, 19), md(2026, 3, 27, 20)),
            (md(2026, 3, 30, 9), md(2026, 3, 30, 10)),
        ]
    finally:
        monkeypatch.undo()
        time.tzset()
