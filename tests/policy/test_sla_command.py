"""`xuala sla due` on hand-computed cases under the default policy (Madrid, ES holidays)."""

import io
import json

import pytest
from django.core.management import call_command

from tests.policy.test_policy_command import xuala


def sla_due(received, *extra):
    out = io.StringIO()
    call_command("sla", "due", "--received", received, *extra, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("received", "args", "target_at", "due_at"),
    [
        # Friday evening, Tuesday 8 Dec (Inmaculada) a holiday inside the window:
        # Fri 4.5 h + Mon 24 h = 28.5 h; Tue skipped; Wed/Thu carry the rest.
        ("2026-12-04T19:30:00+01:00", [], "2026-12-07T19:30:00+01:00",
         "2026-12-10T19:30:00+01:00"),
        ("2026-12-04T19:30:00+01:00", ["--plan", "priority"], "2026-12-07T19:30:00+01:00",
         "2026-12-09T19:30:00+01:00"),
        # Christmas Eve: 25 Dec (Fri) and the weekend do not count.
        ("2026-12-24T10:00:00+01:00", [], "2026-12-28T10:00:00+01:00",
         "2026-12-30T10:00:00+01:00"),
        # Epiphany, Wed 6 Jan 2027.
        ("2027-01-04T15:00:00+01:00", [], "2027-01-05T15:00:00+01:00",
         "2027-01-08T15:00:00+01:00"),
        # A weekend request starts counting on Monday 00:00 and is due when the time is used
        # up: the end of the last working day, not the next morning.
        ("2026-11-28T11:00:00+01:00", [], "2026-12-01T00:00:00+01:00",
         "2026-12-03T00:00:00+01:00"),
        ("2026-11-28T11:00:00+01:00", ["--plan", "priority"], "2026-12-01T00:00:00+01:00",
         "2026-12-02T00:00:00+01:00"),
        # An instant given in UTC is answered in the policy's zone.
        ("2026-11-27T18:30:00Z", [], "2026-11-30T19:30:00+01:00", "2026-12-02T19:30:00+01:00"),
        # Emergencies run on the calendar clock: 4 real hours across both DST changes.
        ("2026-03-29T00:30:00+01:00", ["--emergency"], "2026-03-29T05:30:00+02:00",
         "2026-03-29T05:30:00+02:00"),
        ("2026-10-25T01:30:00+02:00", ["--emergency"], "2026-10-25T04:30:00+01:00",
         "2026-10-25T04:30:00+01:00"),
        # An emergency on a Saturday is not held until Monday.
        ("2026-11-28T11:00:00+01:00", ["--emergency", "--plan", "priority"],
         "2026-11-28T15:00:00+01:00", "2026-11-28T15:00:00+01:00"),
    ],
)
def test_it_prints_the_hand_computed_instants(received, args, target_at, due_at):
    result = sla_due(received, *args)
    assert (result["target_at"], result["due_at"]) == (target_at, due_at)


def test_it_names_the_class_and_clock_and_echoes_the_instant_in_the_policy_zone():
    assert sla_due("2026-11-27T18:30:00Z") == {
        "class": "standard", "clock": "working_days", "received": "2026-11-27T19:30:00+01:00",
        "target_at": "2026-11-30T19:30:00+01:00", "due_at": "2026-12-02T19:30:00+01:00"}
    assert sla_due("2026-11-27T18:30:00Z", "--emergency")["clock"] == "calendar"
    assert sla_due("2026-11-27T18:30:00Z", "--plan", "priority")["class"] == "priority"


@pytest.mark.real_clock
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--received", "2026-12-04T19:30:00"], "has no UTC offset"),
        (["--received", "yesterday"], "is not an ISO 8601 instant"),
        (["--received", "2026-12-04T19:30:00+01:00", "--plan", "gold"], "unknown plan 'gold'"),
    ],
)
def test_it_exits_2_with_a_one_line_reason(args, reason):
    result = xuala("sla", "due", *args)
    assert result.returncode == 2
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""
