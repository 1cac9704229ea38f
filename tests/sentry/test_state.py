"""The monitor state machine: a change counts once confirmed by a re-check and the next slot."""

from datetime import UTC, datetime, timedelta

from xuala.sentry.state import DOWN, UNKNOWN, UP, MonitorClock, next_slot, step

MINUTE = timedelta(minutes=1)
T0 = datetime(2026, 11, 25, 10, 0, 17, tzinfo=UTC)  # this monitor's slot is at :17


def clock(state=UP, pending="", since=None, count=0, slot=T0):
    return MonitorClock(state, pending, since, count, slot, MINUTE)


def run(sequence, start=None):
    """Feed (ok, seconds after T0) pairs; return each step."""
    c, steps = start or clock(), []
    for ok, offset in sequence:
        now = T0 + timedelta(seconds=offset)
        s = step(c, ok=ok, at=now, now=now)
        steps.append(s)
        c = MonitorClock(s.state, s.pending_state, s.pending_since, s.pending_count, s.slot_at,
                         MINUTE)
    return steps


def test_it_needs_a_recheck_and_the_next_minute_before_calling_a_site_down():
    first, recheck, next_minute = run([(False, 0), (False, 2), (False, 60)])
    assert not first.state_changed and first.next_check_at == T0 + timedelta(seconds=2)
    assert not recheck.state_changed and recheck.next_check_at == T0 + MINUTE
    assert next_minute.state_changed and next_minute.state == DOWN
    assert next_minute.changed_since == T0  # downtime counts from the first failing check
    assert next_minute.next_check_at == T0 + 2 * MINUTE


def test_one_lost_packet_raises_no_alarm():
    steps = run([(False, 0), (True, 2), (True, 60)])
    assert not any(s.state_changed for s in steps)
    assert steps[1].pending_state == "" and steps[1].state == UP
    assert steps[1].next_check_at == T0 + MINUTE  # back on the regular slot


def test_recovery_is_confirmed_the_same_way():
    down = clock(state=DOWN)
    steps = run([(True, 0), (True, 2), (True, 60)], start=down)
    assert [s.state_changed for s in steps] == [False, False, True]
    assert steps[-1].state == UP and steps[-1].changed_since == T0


def test_a_flapping_site_restarts_its_confirmation():
    steps = run([(False, 0), (False, 2), (True, 60), (False, 120), (False, 122), (False, 180)])
    assert [s.state for s in steps] == [UP, UP, UP, UP, UP, DOWN]
    assert steps[-1].changed_since == T0 + 2 * MINUTE


def test_an_unknown_monitor_is_up_at_its_first_good_check_but_down_only_when_confirmed():
    (up,) = run([(True, 0)], start=clock(state=UNKNOWN))
    assert up.state == UP and up.state_changed
    steps = run([(False, 0), (False, 2), (False, 60)], start=clock(state=UNKNOWN))
    assert [s.state for s in steps] == [UNKNOWN, UNKNOWN, DOWN]


def test_a_late_check_keeps_the_monitor_on_its_second_in_the_minute():
    assert next_slot(T0, MINUTE, T0 + timedelta(seconds=150)) == T0 + 3 * MINUTE
    assert next_slot(T0, MINUTE, T0 + timedelta(seconds=5)) == T0 + MINUTE
