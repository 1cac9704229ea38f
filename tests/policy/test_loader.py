"""The policy file: the seed validates, and a bad file names every error and its line."""

import pytest

from xuala.policy.loader import PolicyError, default_policy_text, load_policy, parse_policy
from xuala.policy.schema import Decision, TicketClass


def test_it_loads_the_seed_as_read_in_the_policy_reading():
    p = load_policy().policy
    assert p.timezone == "Europe/Madrid"
    assert p.hours.weekly()[0] == [(9 * 60, 20 * 60)]
    assert p.hours.weekly()[5] == [] and p.hours.weekly()[6] == []
    assert p.holidays.country == "ES"
    std, pri, emg = (p.targets.for_class(c) for c in TicketClass)
    assert (std.target.total_seconds(), std.due.total_seconds()) == (24 * 3600, 72 * 3600)
    assert (pri.target.total_seconds(), pri.due.total_seconds()) == (24 * 3600, 48 * 3600)
    assert (emg.target.total_seconds(), emg.due.total_seconds()) == (4 * 3600, 4 * 3600)
    assert std.clock == "working_days" and emg.clock == "calendar"
    assert p.channels.support_address == "asistencia@modo3.net"
    assert [c.value for c in p.channels.accepted] == ["portal", "email"]
    assert p.uptime.allowed_downtime.total_seconds() == pytest.approx(129.6 * 60)
    assert {p.scope_rule(k).decision for k in ("third_party", "site_fault", "paid_change",
                                               "meeting", "site_down")} == {
        Decision.REFUSED, Decision.NEEDS_PLAN, Decision.NEEDS_QUOTE, Decision.MEETING,
        Decision.EMERGENCY}
    assert {plan.billing.value for plan in p.plans} == {"monthly", "annual"}
    assert [s.clause for s in p.services.values()] == [
        "6.3.1", "6.3.2", "6.3.3", "6.3.4", "6.3.5", "6.3.6"]


def test_it_reports_a_syntax_error_with_its_line():
    text = default_policy_text().replace('timezone = "Europe/Madrid"', "timezone = Europe/Madrid")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    (problem,) = caught.value.problems
    assert problem.line == text.splitlines().index("timezone = Europe/Madrid") + 1
    assert "not valid TOML" in problem.message


def test_it_names_every_validation_error_with_its_location_and_line():
    text = (
        default_policy_text()
        .replace('clock = "working_days"\ntarget = "24h"\ndue = "72h"',
                 'clock = "fortnightly"\ntarget = "24h"\ndue = "72h"')
        .replace('monday = ["09:00-20:00"]', 'monday = ["20:00-09:00"]')
        .replace('support_address = "asistencia@modo3.net"', 'support_address = "nobody"')
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, name="bad.toml")
    problems = {p.location: p for p in caught.value.problems}
    lines = text.splitlines()
    assert set(problems) >= {"targets.standard.clock", "hours.monday.0",
                             "channels.support_address"}
    assert problems["targets.standard.clock"].line == lines.index('clock = "fortnightly"') + 1
    assert problems["hours.monday.0"].line == lines.index('monday = ["20:00-09:00"]') + 1
    assert "ends before it starts" in problems["hours.monday.0"].message
    assert "bad.toml" in str(caught.value)


def test_it_refuses_a_target_later_than_its_due_time():
    text = default_policy_text().replace('target = "24h"\ndue = "48h"',
                                         'target = "72h"\ndue = "48h"')
    with pytest.raises(PolicyError, match="target cannot be later than the due time"):
        parse_policy(text)


def test_it_refuses_an_unknown_time_zone():
    text = default_policy_text().replace('timezone = "Europe/Madrid"', 'timezone = "Mars/Olympus"')
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert [(p.location, p.message) for p in caught.value.problems] == [
        ("policy.timezone", "unknown time zone 'Mars/Olympus'")]


def test_it_refuses_an_unknown_key_instead_of_ignoring_it():
    text = default_policy_text().replace("[hours]\n", "[hours]\nmondya = []\n")
    with pytest.raises(PolicyError) as caught:
        parse_policy(text)
    assert caught.value.problems[0].location == "hours.mondya"


def test_it_refuses_a_plan_that_names_an_unknown_service():
    services = ('services = ["online_sentry", "priority_support", "wsa", "antispam", '
                '"weekly_updates", "urgent_review"]')
    head, tail = default_policy_text().rsplit(services, 1)
    with pytest.raises(PolicyError, match="unknown services: teleportation"):
        parse_policy(head + 'services = ["wsa", "teleportation"]' + tail)


def test_it_reports_an_unreadable_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.toml")


def test_it_accepts_several_slots_a_day_and_a_regional_calendar():
    text = (default_policy_text()
            .replace('monday = ["09:00-20:00"]', 'monday = ["09:00-14:00", "15:00-20:00"]')
            .replace('subdivision = ""', 'subdivision = "MD"'))
    loaded = parse_policy(text)
    assert loaded.policy.hours.weekly()[0] == [(540, 840), (900, 1200)]
    assert loaded.policy.holidays.subdivision == "MD"
    assert loaded.sha256 != load_policy().sha256
