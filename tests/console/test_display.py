"""How the console writes time left to a ticket's due instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from xuala.console.display import duration_text, time_left_text

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 min"), (59, "0 min"), (12 * 60, "12 min"), (3 * 3600 + 20 * 60, "3 h 20 min"),
    (3 * 3600 + 20 * 60 + 59, "3 h 20 min"), (24 * 3600, "1 d 0 h"),
    (2 * 86400 + 5 * 3600 + 59 * 60, "2 d 5 h"),
])
def test_it_writes_durations_in_days_hours_and_minutes(seconds, text):
    assert duration_text(seconds) == text


def test_it_writes_time_left_and_overdue_time_in_the_active_language():
    with translation.override("en"):
        assert time_left_text(NOW + timedelta(hours=3, minutes=20), NOW) == "3 h 20 min"
        assert time_left_text(NOW - timedelta(minutes=90), NOW) == "overdue by 1 h 30 min"
    with translation.override("es"):
        assert time_left_text(NOW - timedelta(minutes=90), NOW) == "vencido hace 1 h 30 min"
