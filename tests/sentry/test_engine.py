"""The check engine against the site farm: confirmation, incidents with a report, tickets,
recovery, maintenance windows, claims shared by engines."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from xuala.customers.models import HostingServer
from xuala.desk.models import Ticket
from xuala.notify.models import OutboundEmail
from xuala.sentry import services
from xuala.sentry.engine import claim, engine_step
from xuala.sentry.models import Check, Incident, Monitor, UptimeHour


@pytest.fixture
def plan_site(db, site_farm):
    customer = factories.customer(name="Tienda Sol SL", email="marta@tiendasol.es",
                                  plan="cobertura-mensual", site_url=site_farm.url("tiendasol"))
    HostingServer.objects.update(is_active=False)  # its name resolves nowhere in tests
    services.monitors_sync()
    monitor = Monitor.objects.get(site__customer=customer)
    monitor.keyword = "Bienvenido a mi tienda"
    monitor.save()
    return monitor


def step(farm, **kwargs):
    """Make every monitor due now, then run one engine step against the farm."""
    Monitor.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    return engine_step(probe_options={"resolve": farm.resolve,
                                      "ssl_context": farm.client_context()}, **kwargs)


def test_it_creates_a_monitor_per_plan_site_and_retires_it_with_the_contract(
        plan_site, hosting_customer):
    assert plan_site.is_active and plan_site.url.startswith("http://tiendasol.farm.test")
    assert not Monitor.objects.filter(site__customer=hosting_customer).exists()
    plan_site.site.customer.contracts.update(status="cancelled")
    assert services.monitors_sync()["retired"] == 1
    plan_site.refresh_from_db()
    assert not plan_site.is_active and plan_site.retired_at is not None


def test_a_healthy_site_is_up_and_leaves_only_rollups(plan_site, site_farm):
    assert step(site_farm) == 1
    plan_site.refresh_from_db()
    assert plan_site.state == "up"
    assert plan_site.last_good.result["status"] == 200
    assert plan_site.claimed_by == "" and plan_site.next_check_at > timezone.now()
    hour = UptimeHour.objects.get(monitor=plan_site)
    assert hour.checks == 1 and hour.failures == 0 and hour.total_ms_sum > 0
    assert Check.objects.count() == 1  # the first check changed the state: kept
    step(site_farm)
    assert Check.objects.count() == 1  # an ordinary good check keeps no raw row
    assert UptimeHour.objects.get(monitor=plan_site).checks == 2


def test_a_failure_is_confirmed_reported_ticketed_and_recovered(plan_site, site_farm):
    step(site_farm)  # up
    site_farm.overrides[plan_site.url.split("//")[1].split(":")[0]] = "error500"
    step(site_farm)
    plan_site.refresh_from_db()
    assert plan_site.state == "up" and plan_site.pending_state == "down"
    step(site_farm)  # the immediate re-check
    assert not Incident.objects.exists()
    step(site_farm)  # the next minute's check confirms it
    incident = Incident.objects.get()
    assert incident.error_class == "http_status"
    report = incident.report
    assert len(report["failing_checks"]) == 3
    assert report["failing_checks"][0]["status"] == 500
    assert "timings" in report["failing_checks"][0] and report["last_good"]["status"] == 200
    assert report["failing_checks"][0]["body_head"]
    # Staff are alerted and the plan site gets an urgent ticket (§6.3.6, an emergency).
    alert = OutboundEmail.objects.get(purpose="sentry.opened")
    assert alert.to == "guardia@modo3.net" and "http_status" in alert.subject
    assert "Failing checks:" in alert.body_text
    ticket = incident.ticket
    assert ticket.ticket_class == "emergency" and ticket.channel == "sentry"
    assert "oncall.paged" in ticket.events.values_list("key", flat=True)
    # Recovery, confirmed the same way, closes the incident and writes its duration.
    site_farm.overrides.clear()
    for _ in range(3):
        step(site_farm)
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert incident.resolved_at > incident.started_at
    recovered = ticket.events.get(key="sentry.recovered")
    assert recovered.data["downtime_seconds"] == round(incident.duration.total_seconds())
    assert ticket.messages.filter(kind="note", body_text__contains="recovered").exists()
    # The client, told at first "we will write to you here as soon as it works again", is.
    told = ticket.messages.get(kind="auto", body_text__contains="vuelve a funcionar")
    assert plan_site.site.url in told.body_text and "sin servicio" in told.body_text
    assert ticket.events.get(key="sentry.recovery_told").data["message"] == told.pk
    mailed = OutboundEmail.objects.filter(to="marta@tiendasol.es", ticket=ticket,
                                          body_text__contains="vuelve a funcionar")
    assert mailed.count() == 1
    assert OutboundEmail.objects.filter(purpose="sentry.resolved").count() == 1
    down = sum(UptimeHour.objects.filter(monitor=plan_site).values_list("down_seconds",
                                                                        flat=True))
    assert down == pytest.approx(incident.duration.total_seconds(), abs=2)


def test_one_failed_check_raises_no_alarm(plan_site, site_farm):
    step(site_farm)
    host = plan_site.url.split("//")[1].split(":")[0]
    site_farm.overrides[host] = "error500"
    step(site_farm)
    site_farm.overrides.clear()
    step(site_farm)
    step(site_farm)
    assert not Incident.objects.exists()
    plan_site.refresh_from_db()
    assert plan_site.state == "up" and plan_site.pending_state == ""


@pytest.mark.parametrize(("behaviour", "error_class"), [
    ("nokeyword", "keyword"), ("loop", "redirects"), ("reset", "refused")])
def test_each_failure_is_classified_in_the_incident(plan_site, site_farm, behaviour,
                                                    error_class):
    site_farm.overrides[plan_site.url.split("//")[1].split(":")[0]] = behaviour
    for _ in range(3):
        step(site_farm)
    assert Incident.objects.get().error_class == error_class


def test_a_maintenance_window_silences_alerts_and_is_not_downtime(plan_site, site_farm):
    now = timezone.now()
    services.maintenance_open(reason="update_run", monitor=plan_site,
                              starts_at=now - timedelta(minutes=1),
                              ends_at=now + timedelta(minutes=30))
    site_farm.overrides[plan_site.url.split("//")[1].split(":")[0]] = "error500"
    for _ in range(3):
        step(site_farm)
    incident = Incident.objects.get()
    assert incident.in_maintenance and incident.ticket is None
    assert not OutboundEmail.objects.filter(purpose__startswith="sentry.").exists()
    site_farm.overrides.clear()
    for _ in range(3):
        step(site_farm)
    hours = UptimeHour.objects.filter(monitor=plan_site)
    assert sum(h.down_seconds for h in hours) == 0
    assert sum(h.maintenance_seconds for h in hours) > 0


def test_a_server_down_pages_on_call_as_an_emergency(db, site_farm):
    server = HostingServer.objects.create(name="xc-web-09", hostname="xc-web-09.farm.test")
    services.monitors_sync()
    monitor = Monitor.objects.get(server=server)
    monitor.url = f"http://127.0.0.1:{site_farm.refused_port}/"
    monitor.save()
    for _ in range(3):
        step(site_farm)
    assert Incident.objects.get(monitor=monitor).error_class == "refused"
    page = OutboundEmail.objects.get(purpose="oncall.page")
    assert "EMERGENCY" in page.subject and "xc-web-09" in page.subject
    assert not Ticket.objects.exists()


def test_a_hanging_site_does_not_delay_the_others(db, site_farm):
    customer = factories.customer(name="Lenta SL", email="x@lenta.es", plan="cobertura-anual",
                                  site_url=site_farm.url("hang"))
    factories.customer(name="Rápida SL", email="y@rapida.es", plan="cobertura-anual",
                       site_url=site_farm.url("fast"))
    HostingServer.objects.update(is_active=False)
    services.monitors_sync()
    from xuala.sentry.probe import PhaseTimeouts

    Monitor.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    engine_step(probe_options={"resolve": site_farm.resolve,
                               "timeouts": PhaseTimeouts(ttfb=1.0, total=2.0)})
    slow = Monitor.objects.get(site__customer=customer)
    fast = Monitor.objects.exclude(pk=slow.pk).get()
    assert slow.last_result["error_class"] == "timeout"
    assert fast.last_result["ok"] is True
    assert fast.last_result["timings"]["total"] < 500


def test_engines_share_due_monitors_and_never_take_the_same_one(db):
    from xuala.customers.models import Site

    customer = factories.customer(name="Muchas SL", email="z@muchas.es", plan="cobertura-anual")
    for i in range(30):
        Site.objects.create(customer=customer, url=f"https://s{i}.muchas.es/")
    HostingServer.objects.update(is_active=False)
    services.monitors_sync()
    now = timezone.now() + timedelta(minutes=2)
    first = claim(engine="a", now=now, batch=20)
    second = claim(engine="b", now=now, batch=20)
    assert len(first) == 20 and len(second) == 11
    assert not {m.pk for m in first} & {m.pk for m in second}
    assert claim(engine="c", now=now, batch=20) == []
    # An engine that dies loses nothing: its claims expire and another engine takes them.
    later = now + timedelta(minutes=3)
    taken = claim(engine="c", now=later, batch=50)
    assert len(taken) == 31


def test_the_claim_returns_every_column_a_due_monitor_reads():
    from xuala.sentry import engine

    for sql in (engine.CLAIM_SQLITE, engine.CLAIM_UPDATE_POSTGRESQL):
        returned = " ".join(sql.split("RETURNING", 1)[1].split())
        assert tuple(c.strip() for c in returned.split(",")) == engine.DUE_COLUMNS


def test_a_steady_site_rewrites_its_last_good_check_only_now_and_then(plan_site, site_farm,
                                                                     settings):
    settings.XUALA_SENTRY_LAST_GOOD_SECONDS = 3600
    step(site_farm)
    plan_site.refresh_from_db()
    first = plan_site.last_good.result["started_at"]
    assert plan_site.last_good_at is not None
    step(site_farm)
    plan_site.refresh_from_db()
    assert plan_site.last_good.result["started_at"] == first  # the same steady site: kept
    assert plan_site.last_result["timings"]["total"] is not None  # the summary is fresh
    settings.XUALA_SENTRY_LAST_GOOD_SECONDS = 0
    step(site_farm)
    plan_site.refresh_from_db()
    assert plan_site.last_good.result["started_at"] > first


def test_the_first_good_check_after_a_failure_is_the_last_good_one(plan_site, site_farm,
                                                                   settings):
    settings.XUALA_SENTRY_LAST_GOOD_SECONDS = 3600
    step(site_farm)
    host = plan_site.url.split("//")[1].split(":")[0]
    site_farm.overrides[host] = "error500"
    step(site_farm)
    site_farm.overrides.clear()
    plan_site.refresh_from_db()
    before = plan_site.last_good.result["started_at"]
    step(site_farm)
    plan_site.refresh_from_db()
    assert plan_site.pending_state == "" and plan_site.last_good.result["started_at"] > before


def test_the_incident_report_says_when_its_last_good_check_was_made(plan_site, site_farm):
    step(site_farm)
    site_farm.overrides[plan_site.url.split("//")[1].split(":")[0]] = "error500"
    for _ in range(3):
        step(site_farm)
    plan_site.refresh_from_db()
    report = Incident.objects.get().report
    assert report["last_good"]["started_at"] == plan_site.last_good.result["started_at"]
