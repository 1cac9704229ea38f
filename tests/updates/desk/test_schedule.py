"""The Tuesday schedule: the policy's weekday and window in the policy's zone (across a
daylight-saving change), each server's sites spread over the window, no node running more
than its cap at once, a week the client holds skipped, a run no node took in its window
withdrawn."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.policy.copies import policy_copy
from tests.updates.desk.builders import clean, node_finish
from xuala.customers.models import Site
from xuala.nodes.models import JobState
from xuala.nodes.services import site_attach
from xuala.sentry.models import MaintenanceWindow
from xuala.updates import schedule, services
from xuala.updates.models import RunState, UpdateRun, UpdateSchedule

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
# Wednesday 4 March 2026, noon in Madrid; the next Tuesday is the 10th (CET, UTC+1).
WEDNESDAY = datetime(2026, 3, 4, 12, 0, tzinfo=MADRID)


def local(*args):
    return datetime(*args, tzinfo=MADRID)


def plan_sites(count: int, server: str = "xc-web-01") -> list[Site]:
    sites = []
    for n in range(count):
        customer = factories.customer(name=f"C{server}{n}", email=f"c{n}@{server}-{n}.es",
                                      plan="cobertura-mensual")
        site = customer.sites.get()
        site_attach(site=site, root=f"/srv/{server}/{n}", server=factories.server(server))
        sites.append(site)
    return sites


def step(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return services.updates_step(now=at)


def test_the_window_is_the_policys_hours_in_its_zone_across_a_daylight_saving_change():
    terms = schedule.terms()
    assert (terms.weekday, terms.window, terms.tz.key) == (1, (120, 360), "Europe/Madrid")
    # 24 March is CET (02:00 is 01:00 UTC); 31 March is CEST (02:00 is 00:00 UTC).
    assert terms.slot_after(local(2026, 3, 18, 9, 0), 0) == datetime(2026, 3, 24, 1, 0,
                                                                     tzinfo=UTC)
    assert terms.slot_after(local(2026, 3, 25, 9, 0), 0) == datetime(2026, 3, 31, 0, 0,
                                                                     tzinfo=UTC)
    assert terms.slot_after(local(2026, 3, 25, 9, 0), 0.5) == local(2026, 3, 31, 4, 0)
    # Inside a Tuesday's window, a later slot of the same day is still taken.
    assert terms.slot_after(local(2026, 3, 31, 2, 30), 0.5) == local(2026, 3, 31, 4, 0)
    assert terms.slot_after(local(2026, 3, 31, 4, 1), 0.5) == local(2026, 4, 7, 4, 0)


def test_each_plan_site_with_a_root_gets_a_slot_and_a_servers_sites_are_spread(
        hosting_customer, plan_customer):
    spread = plan_sites(4)
    other = plan_sites(1, server="xc-web-02")
    site_attach(site=hosting_customer.sites.get(), root="/srv/sinplan")  # no plan
    plan_customer.sites.get()  # a plan site without a document root: nothing to update
    step(WEDNESDAY)
    slots = dict(UpdateSchedule.objects.values_list("site_id", "next_at"))
    assert set(slots) == {s.pk for s in spread + other}
    assert [slots[s.pk] for s in spread] == [local(2026, 3, 10, h, 0) for h in (2, 3, 4, 5)]
    assert slots[other[0].pk] == local(2026, 3, 10, 2, 0)


def test_the_policy_files_weekday_and_window_are_the_ones_used(settings, tmp_path):
    policy_copy(tmp_path, settings, ('weekday = "tuesday"', 'weekday = "wednesday"'),
                ('window = "02:00-06:00"', 'window = "22:00-23:30"'))
    [site] = plan_sites(1)
    step(WEDNESDAY)
    assert UpdateSchedule.objects.get(site=site).next_at == local(2026, 3, 4, 22, 0)


def test_no_node_runs_more_than_its_cap_and_the_rest_wait_for_a_free_place(settings):
    settings.XUALA_UPDATES_PER_NODE = 2
    sites = plan_sites(3)
    step(WEDNESDAY)
    late = local(2026, 3, 10, 5, 30)  # all three slots have come
    step(late)
    queued = list(UpdateRun.objects.filter(state=RunState.QUEUED))
    assert len(queued) == 2
    waiting = UpdateSchedule.objects.get(site=sites[2])
    assert waiting.next_at == local(2026, 3, 10, 4, 40)  # still due
    step(late + timedelta(minutes=1))
    assert UpdateRun.objects.count() == 2  # the node is still full
    with time_machine.travel(late + timedelta(minutes=2), tick=False):
        node_finish(queued[0].job, clean(queued[0].pk))
    step(late + timedelta(minutes=3))
    assert UpdateRun.objects.filter(state=RunState.QUEUED).count() == 2
    assert UpdateRun.objects.filter(site=sites[2]).exists()
    # Each started schedule moved on to its slot of the next Tuesday.
    assert sorted(UpdateSchedule.objects.values_list("next_at", flat=True)) == [
        local(2026, 3, 17, 2, 0), local(2026, 3, 17, 3, 20), local(2026, 3, 17, 4, 40)]


def test_a_due_run_starts_once_with_its_slot_and_the_next_is_a_week_later():
    [site] = plan_sites(1)
    step(WEDNESDAY)
    slot = local(2026, 3, 10, 2, 0)
    step(slot)
    step(slot + timedelta(minutes=1))
    [run] = UpdateRun.objects.all()
    assert (run.trigger, run.scheduled_for, run.job.kind) == ("schedule", slot, "updates.run")
    assert UpdateSchedule.objects.get(site=site).next_at == slot + timedelta(days=7)


def test_a_week_the_client_holds_is_skipped_and_the_next_one_runs():
    [site] = plan_sites(1)
    step(WEDNESDAY)
    hold = services.hold_week(site=site, by=factories.contact_user(site.customer))
    assert hold.week == date(2026, 3, 10)
    assert services.hold_week(site=site) == hold  # asked twice, held once
    step(local(2026, 3, 10, 2, 0))
    [held] = UpdateRun.objects.all()
    assert (held.state, held.job, held.scheduled_for) == (RunState.HELD, None,
                                                           local(2026, 3, 10, 2, 0))
    step(local(2026, 3, 17, 2, 0))
    assert UpdateRun.objects.filter(state=RunState.QUEUED).count() == 1


def test_a_hold_released_before_the_run_lets_it_run():
    [site] = plan_sites(1)
    step(WEDNESDAY)
    services.hold_week(site=site)
    assert services.hold_release(site=site) == 1
    step(local(2026, 3, 10, 2, 0))
    assert UpdateRun.objects.get().state == RunState.QUEUED


def test_a_week_cannot_be_held_once_its_run_has_started():
    [site] = plan_sites(1)
    step(WEDNESDAY)
    step(local(2026, 3, 10, 2, 0))
    with pytest.raises(services.UpdateRefused, match="already started"):
        services.hold_week(site=site)


def test_a_schedule_found_after_its_window_is_recorded_as_missed():
    [site] = plan_sites(1)
    step(WEDNESDAY)
    step(local(2026, 3, 10, 9, 0))  # the engine was down all night
    [run] = UpdateRun.objects.all()
    assert (run.state, run.job) == (RunState.MISSED, None)
    assert UpdateSchedule.objects.get(site=site).next_at == local(2026, 3, 17, 2, 0)


def test_a_run_no_node_took_in_its_window_is_withdrawn_and_its_maintenance_ended(site,
                                                                                 monitor):
    step(WEDNESDAY)
    step(local(2026, 3, 10, 2, 0))
    run = UpdateRun.objects.get()
    step(local(2026, 3, 10, 5, 59))
    assert UpdateRun.objects.get().state == RunState.QUEUED
    step(local(2026, 3, 10, 6, 0))
    run.refresh_from_db()
    assert (run.state, run.job.state) == (RunState.MISSED, JobState.FAILED)
    assert run.job.events.filter(key="job.cancelled").exists()
    assert MaintenanceWindow.objects.get(monitor=monitor).ends_at == local(2026, 3, 10, 6, 0)


def test_an_agents_run_now_is_not_withdrawn_at_the_end_of_the_window(site):
    with time_machine.travel(local(2026, 3, 10, 5, 0), tick=False):
        run = services.run_start(site=site)
    step(local(2026, 3, 10, 7, 0))
    run.refresh_from_db()
    assert run.state == RunState.QUEUED and run.job.state == JobState.QUEUED


def test_a_site_whose_plan_ends_loses_its_schedule():
    [site] = plan_sites(1)
    step(WEDNESDAY)
    site.customer.contracts.update(ends_on=date(2026, 3, 5))
    step(local(2026, 3, 6, 12, 0))
    assert not UpdateSchedule.objects.exists()
