"""The WSA on the desk: the fortnightly schedule, audits on demand, suspensions (§6.3.3)."""

import io
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests import factories
from tests.nodes.agents import ClientDesk, drain
from xuala.customers.delivery import site_services
from xuala.customers.models import Site
from xuala.desk.models import Ticket
from xuala.nodes.models import Job
from xuala.nodes.services import node_token_create, site_attach
from xuala.sentry.models import MaintenanceWindow, Monitor, MonitorKind
from xuala.wsa import services
from xuala.wsa.models import AuditSchedule, Suspension

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
HTACCESS = "# BEGIN WordPress\nRewriteEngine On\n# END WordPress\n"


@pytest.fixture
def site(plan_customer, tmp_path):
    site = Site.objects.get(customer=plan_customer)
    root = tmp_path / "www"
    root.mkdir()
    (root / ".htaccess").write_text(HTACCESS)
    site_attach(site=site, root=str(root))
    return site


@pytest.fixture
def desk(client, site):
    return ClientDesk(client, node_token_create(server=site.server).secret)


def test_every_plan_site_with_a_root_gets_a_schedule_within_the_fortnight(site,
                                                                         hosting_customer):
    other = Site.objects.get(customer=hosting_customer)  # no plan
    site_attach(site=other, root="/srv/other")
    with time_machine.travel(NOW, tick=False):
        services.wsa_step()
    [schedule] = AuditSchedule.objects.all()
    assert schedule.site == site
    assert NOW <= schedule.next_at < NOW + timedelta(days=15)


def test_the_sites_of_one_server_are_spread_over_the_fortnight(db, tmp_path):
    sites = []
    for n in range(3):
        cust = factories.customer(name=f"C{n}", email=f"c{n}@c{n}-demo.es",
                                  plan="cobertura-mensual")
        sites.append(Site.objects.get(customer=cust))
        site_attach(site=sites[-1], root=f"/srv/c{n}")
    with time_machine.travel(NOW, tick=False):
        services.schedules_sync()
    times = sorted(AuditSchedule.objects.values_list("next_at", flat=True))
    gaps = {round((b - a).total_seconds() / 86400, 3) for a, b in pairwise(times)}
    assert gaps == {5.0}


def test_a_due_schedule_queues_one_audit_and_moves_on_by_the_interval(site):
    with time_machine.travel(NOW, tick=False):
        services.schedules_sync()
    schedule = AuditSchedule.objects.get()
    due = schedule.next_at
    with time_machine.travel(due, tick=False):
        assert services.wsa_step() >= 1
        services.wsa_step()
    schedule.refresh_from_db()
    assert schedule.next_at == due + timedelta(days=15)
    assert list(Job.objects.values_list("kind", flat=True)) == ["wsa.audit"]
    assert site.audits.count() == 1


def test_the_client_area_shows_the_audit_service_running_once_scheduled(site, plan_customer):
    def wsa_state():
        [row] = site_services(customer=plan_customer, on=date(2026, 3, 10), language="en")
        return next(s for s in row.services if s.key == "wsa")

    assert wsa_state().running is False
    with time_machine.travel(NOW, tick=False):
        services.schedules_sync()
    assert wsa_state().running is True
    assert wsa_state().next_run == AuditSchedule.objects.get().next_at


def test_an_agent_starts_an_audit_now_from_the_command(site, desk):
    out = io.StringIO()
    call_command("wsa", "audit", "now", site.url, stdout=out)
    assert "queued" in out.getvalue()
    drain(desk)
    audit = site.audits.get()
    assert audit.state == "done" and audit.findings.count() == 0
    assert Ticket.objects.count() == 0


def test_a_suspension_beyond_15_days_is_refused_and_writes_nothing(site):
    with pytest.raises(services.SuspensionRefused):
        services.site_suspend(site=site, until=NOW + timedelta(days=15, seconds=1),
                              reason="Infección grave", now=NOW)
    assert (Suspension.objects.count(), Job.objects.count(), Ticket.objects.count()) == (0, 0, 0)


def test_the_command_refuses_a_suspension_beyond_15_days(site):
    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match="15 days"):
        call_command("wsa", "suspend", site.url, "--until", "2026-03-30", "--reason", "x")


def test_a_suspension_puts_up_the_maintenance_page_and_lifts_itself_at_its_end(
        site, desk, tmp_path, monkeypatch):
    monkeypatch.setenv("XUALA_NODE_NGINX_DIR", str(tmp_path / "nginx"))
    Monitor.objects.create(kind=MonitorKind.SITE, site=site, name=site.url, url=site.url)
    root = tmp_path / "www"
    until = NOW + timedelta(days=15)
    with time_machine.travel(NOW, tick=False):
        services.site_suspend(site=site, until=until, reason="Malware en la base de datos")
        drain(desk)
    htaccess = (root / ".htaccess").read_text()
    assert htaccess.startswith("# BEGIN Xuala maintenance") and htaccess.endswith(HTACCESS)
    assert "return 503;" in (tmp_path / "nginx" / "www.cliente-demo.es.maintenance.conf"
                             ).read_text()
    assert (root / "xuala-maintenance.html").exists()
    window = MaintenanceWindow.objects.get()
    assert (window.starts_at, window.ends_at, window.reason) == (NOW, until, "security")
    ticket = Ticket.objects.get(site=site)
    assert any("Malware en la base de datos" in m.body_text for m in ticket.messages.all())

    with time_machine.travel(until - timedelta(seconds=1), tick=False):
        services.wsa_step()
    assert Suspension.objects.get().is_active
    with time_machine.travel(until, tick=False):
        services.wsa_step()
        drain(desk)
    assert not Suspension.objects.get().is_active
    assert (root / ".htaccess").read_text() == HTACCESS
    assert not (root / "xuala-maintenance.html").exists()
    assert not (tmp_path / "nginx" / "www.cliente-demo.es.maintenance.conf").exists()
