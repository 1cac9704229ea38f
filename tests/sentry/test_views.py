"""Online Sentry's pages: the client's uptime report (own monitors only, 404 for others), the
console's status board (agents only, down first, polled by htmx), an incident's full report,
a customer's report for agents and the servers' month; queries bounded on each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf.urls.i18n import i18n_patterns
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

import xuala.urls
from tests import factories
from xuala.customers.models import HostingServer
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.sentry.models import Incident, LastGood, Monitor, MonitorKind, UptimeHour


def _mounted() -> bool:
    try:
        reverse("sentry_console:board", urlconf="xuala.urls")
        reverse("sentry_portal:report", urlconf="xuala.urls")
    except NoReverseMatch:
        return False
    return True


# The project's URLs, with Online Sentry's mounted as xuala/urls.py is to mount them.
urlpatterns = list(xuala.urls.urlpatterns)
if not _mounted():
    urlpatterns += i18n_patterns(
        path("portal/uptime/", include("xuala.sentry.urls_portal")),
        path("console/sentry/", include("xuala.sentry.urls_console")),
        prefix_default_language=False,
    )
pytestmark = pytest.mark.urls(__name__)

MADRID = ZoneInfo("Europe/Madrid")
JULY_10 = datetime(2026, 7, 10, 12, 0, tzinfo=MADRID)


@pytest.fixture
def july():
    """Noon on 10 July 2026 in Madrid: June is a finished 30-day month."""
    with time_machine.travel(JULY_10, tick=False) as traveller:
        yield traveller


def verify_session(client, user):
    """``user`` signed in on ``client`` with a session that passed the console's TOTP step."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def site_monitor(customer, **fields) -> Monitor:
    site = customer.sites.get()
    return Monitor.objects.create(kind=MonitorKind.SITE, site=site, customer=customer,
                                  name=site.url, url=site.url, **fields)


def server_monitor(server, **fields) -> Monitor:
    return Monitor.objects.get_or_create(
        server=server, defaults=dict(kind=MonitorKind.SERVER, name=server.name,
                                     url=f"https://{server.hostname}/", **fields))[0]


@pytest.fixture
def tienda(db):
    """Customer A: a plan site on xc-web-01, both monitored."""
    customer = factories.customer(name="Tienda Sol SL", email="marta@tiendasol.es",
                                  plan="cobertura-mensual")
    return {"customer": customer, "site": site_monitor(customer, state="up"),
            "server": server_monitor(customer.sites.get().server, state="up")}


@pytest.fixture
def otra(db):
    """Customer B: its site on another server, xc-web-09."""
    customer = factories.customer(name="Otra Empresa SL", email="bea@otra-empresa.es",
                                  plan="cobertura-anual",
                                  site_url="https://www.secreto-otra.es/")
    far = HostingServer.objects.create(name="xc-web-09", hostname="xc-web-09.xuala")
    customer.sites.update(server=far)
    return {"customer": customer, "site": site_monitor(customer, state="down"),
            "server": server_monitor(far, state="up")}


@pytest.fixture
def marta(client, tienda):
    client.force_login(factories.contact_user(tienda["customer"]))
    return client


@pytest.fixture
def agent(client, db):
    return verify_session(client, factories.agent())


def june_hour(monitor, day, at_hour, **fields) -> UptimeHour:
    return UptimeHour.objects.create(monitor=monitor, checks=60,
                                     hour=datetime(2026, 6, day, at_hour, tzinfo=UTC), **fields)


def row_of(page: str, monitor) -> str:
    """The table row of ``monitor`` in a page."""
    return re.search(rf'data-monitor="{monitor.pk}"[^>]*>(.*?)</tr>', page).group(1)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# ---------------------------------------------------------------- client area

def test_the_client_reads_its_report_with_the_numbers_of_the_month(marta, tienda, july):
    """June: the site was down exactly its allowance (7,776 s of 2,592,000), the server 7,777 s:
    99.700 % met, and 99.699 % not met."""
    june_hour(tienda["site"], 3, 8, down_seconds=7776, down_minutes=1)
    june_hour(tienda["server"], 4, 9, down_seconds=7777)
    Incident.objects.create(monitor=tienda["site"], started_at=datetime(2026, 6, 3, 8, tzinfo=UTC),
                            confirmed_at=datetime(2026, 6, 3, 8, 2, tzinfo=UTC),
                            resolved_at=datetime(2026, 6, 3, 10, 9, 36, tzinfo=UTC),
                            error_class="http_status", report={})
    response = marta.get("/en/portal/uptime/?month=2026-06")
    assert response.status_code == 200
    page = text(response)
    assert "Uptime report, June 2026" in page and "Tienda Sol SL" in page
    site_row = row_of(page, tienda["site"])
    assert "99.700&nbsp;%" in site_row and "129.60" in site_row and "verdict-met" in site_row
    server_row = row_of(page, tienda["server"])
    assert "99.699&nbsp;%" in server_row and "over by 0.02" in server_row
    assert "verdict-missed" in server_row
    # The month's incident: start in Madrid's time, duration, what failed.
    assert "3 Jun 2026, 10:00" in page and "129.6" in page
    assert "The server answered with an error" in page
    # A chart per monitor, drawn by the server; no 24-hour strip for a finished month.
    assert page.count('class="chart chart-bars"') == 2
    assert "chart-strip" not in page


def test_the_report_reads_in_spanish_by_default(marta, tienda, july):
    june_hour(tienda["site"], 3, 8, down_seconds=7776)
    page = text(marta.get("/portal/uptime/?month=2026-06"))
    assert "Informe de disponibilidad, junio 2026" in page
    assert "99,700&nbsp;%" in page and "129,60" in page and "Cumplido" in page


def test_the_current_month_shows_the_last_24_hours_minute_by_minute(marta, tienda, july):
    UptimeHour.objects.create(monitor=tienda["site"], hour=datetime(2026, 7, 10, 9, tzinfo=UTC),
                              checks=60, down_seconds=120, down_minutes=0b11)
    page = text(marta.get("/en/portal/uptime/"))
    assert "Uptime report, July 2026" in page and "Month in progress" in page
    assert page.count('class="chart chart-strip"') == 2
    assert "11:00–11:02: down" in page  # 09:00 UTC is 11:00 in Madrid in summer


def test_the_report_is_print_ready(marta, tienda, july):
    page = text(marta.get("/en/portal/uptime/"))
    assert "/static/sentry/sentry.css" in page
    assert 'class="month-picker no-print"' in page
    css = (Path(__file__).resolve().parents[2] / "xuala/sentry/static/sentry/sentry.css") \
        .read_text()
    assert "@page { size: A4" in css
    printed = css[css.index("@media print"):]
    assert ".topbar" in printed and ".no-print" in printed and "display: none" in printed


def test_a_month_that_makes_no_sense_shows_the_current_one_and_says_so(marta, tienda, july):
    page = text(marta.get("/en/portal/uptime/?month=2027-01"))
    assert "Uptime report, July 2026" in page
    assert "There is no report for “2027-01”" in page


def test_the_client_sees_only_its_own_sites_and_servers(marta, tienda, otra, july):
    page = text(marta.get("/en/portal/uptime/"))
    assert tienda["site"].name in page and "xc-web-01" in page
    assert "secreto-otra" not in page and "xc-web-09" not in page
    assert marta.get(f"/en/portal/uptime/monitors/{tienda['site'].pk}/").status_code == 200
    assert marta.get(f"/en/portal/uptime/monitors/{tienda['server'].pk}/").status_code == 200
    assert marta.get(f"/en/portal/uptime/monitors/{otra['site'].pk}/").status_code == 404
    assert marta.get(f"/en/portal/uptime/monitors/{otra['server'].pk}/").status_code == 404
    assert marta.get("/en/portal/uptime/monitors/999999/").status_code == 404


def test_a_shared_server_is_in_both_customers_reports(marta, tienda, july):
    """The server hosting a customer's site counts towards its commitment (§6.2)."""
    neighbour = factories.customer(name="Vecina SL", email="v@vecina.es")
    own = site_monitor(neighbour)
    page = text(marta.get("/en/portal/uptime/"))
    assert "xc-web-01" in page and own.name not in page


def test_a_clients_report_shows_nothing_of_another_customer(client, tienda, otra, july):
    """B's own report answers, without A's site or server. (Every client URL asked with A's
    ids is checked with the other client routes in tests/core/test_tenancy.py.)"""
    client.force_login(factories.contact_user(otra["customer"]))
    for language in ("es", "en"):
        with translation.override(language):
            response = client.get(reverse("sentry_portal:report"))
        assert response.status_code == 200
        assert "tiendasol" not in text(response) and "xc-web-01" not in text(response)


def test_agents_and_strangers_do_not_get_the_client_report(client, tienda, july):
    assert client.get("/portal/uptime/").status_code == 302  # to sign in
    verify_session(client, factories.agent())
    response = client.get("/portal/uptime/")
    assert response.status_code == 302 and "/console/" in response["Location"]


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_report_page_takes_a_fixed_number_of_queries(marta, tienda, july,
                                                         django_assert_max_num_queries):
    """However many sites, days and incidents: session, user, customer, monitors, three for
    the month's figures, two for the days, one for the incidents (and one for the strip),
    and three for the figures of the commitment's period of days (report pages only)."""
    june = "/en/portal/uptime/?month=2026-06"
    few = queries_for(marta, june)
    for day in range(1, 11):
        june_hour(tienda["site"], day, 8, down_seconds=60)
        Incident.objects.create(monitor=tienda["site"],
                                started_at=datetime(2026, 6, day, 8, tzinfo=UTC),
                                confirmed_at=datetime(2026, 6, day, 8, 2, tzinfo=UTC),
                                resolved_at=datetime(2026, 6, day, 8, 1, tzinfo=UTC),
                                error_class="timeout", report={})
    for n in range(5):
        extra = tienda["customer"].sites.create(url=f"https://s{n}.tiendasol.es/",
                                                server=tienda["server"].server)
        Monitor.objects.create(kind=MonitorKind.SITE, site=extra, customer=tienda["customer"],
                               name=extra.url, url=extra.url)
    with django_assert_max_num_queries(13):
        response = marta.get(june)
    assert text(response).count('class="report-monitor"') == 7
    assert queries_for(marta, june) == few
    with django_assert_max_num_queries(14):
        assert marta.get("/en/portal/uptime/").status_code == 200
    with django_assert_max_num_queries(11):
        assert marta.get(f"/en/portal/uptime/monitors/{tienda['site'].pk}/").status_code == 200


# ---------------------------------------------------------------- console

def test_the_board_is_for_agents_only(client, tienda, july):
    response = client.get("/console/sentry/")
    assert response.status_code == 302 and "/console/login/" in response["Location"]
    client.force_login(factories.contact_user(tienda["customer"]))
    assert client.get("/console/sentry/").status_code == 403
    assert client.get(f"/console/sentry/customers/{tienda['customer'].pk}/report/") \
        .status_code == 403
    incident = Incident.objects.create(monitor=tienda["site"], started_at=JULY_10,
                                       confirmed_at=JULY_10, error_class="dns", report={})
    assert client.get(f"/console/sentry/incidents/{incident.pk}/").status_code == 403
    assert client.get("/console/sentry/servers/").status_code == 403


def test_the_board_lists_down_monitors_first(agent, tienda, otra, july):
    now = JULY_10
    Monitor.objects.filter(pk=tienda["site"].pk).update(
        name="aaa-first-by-name", state="up", pending_state="down", pending_since=now,
        pending_count=1)
    Monitor.objects.filter(pk=otra["site"].pk).update(name="zzz-last-by-name", state="down",
                                                      state_since=now - timedelta(minutes=7))
    unknown = Monitor.objects.create(kind=MonitorKind.SERVER, name="mmm-new", state="unknown",
                                     url="https://mmm.xuala/")
    Monitor.objects.create(kind=MonitorKind.SERVER, name="retired", state="down",
                           url="https://old.xuala/", is_active=False)
    response = agent.get("/en/console/sentry/")
    assert response.status_code == 200
    order = [int(pk) for pk in re.findall(r'<tr class="monitor[^"]*" data-monitor="(\d+)"',
                                          response.content.decode())]
    assert order == [otra["site"].pk, tienda["site"].pk, unknown.pk, tienda["server"].pk,
                     otra["server"].pk]
    page = text(response)
    assert "confirming a failure" in page and "7 minutes ago" in page
    assert "retired" not in page
    assert re.search(r"<strong>1</strong> down", page)


def test_the_board_shows_timings_certificate_incident_and_this_months_uptime(
        agent, tienda, july):
    not_after = (JULY_10 + timedelta(days=20, hours=1)).astimezone(UTC).isoformat()
    Monitor.objects.filter(pk=tienda["site"].pk).update(
        state="down", state_since=JULY_10 - timedelta(hours=1), last_check_at=JULY_10,
        last_result={"ok": False, "error_class": "timeout", "status": None,
                     "timings": {"dns": 1.2, "connect": 3.4, "tls": 25.0, "ttfb": None,
                                 "total": 10000.0}})
    LastGood.objects.create(monitor=tienda["site"], at=JULY_10 - timedelta(hours=2),
                            result={"ok": True, "certificate": {"not_after": not_after,
                                                                "days_left": 21}})
    incident = Incident.objects.create(monitor=tienda["site"],
                                       started_at=JULY_10 - timedelta(hours=1),
                                       confirmed_at=JULY_10 - timedelta(minutes=58),
                                       error_class="timeout", report={})
    page = text(agent.get("/en/console/sentry/"))
    row = row_of(page, tienda["site"])
    assert "No answer in time" in row
    assert re.search(r"dns</span> 1<.*connect</span> 3<.*tls</span> 25<.*ttfb</span> —<"
                     r".*total</span> 10000<", row)
    assert "20 days left" in row
    assert f"/en/console/sentry/incidents/{incident.pk}/" in row
    # An hour down in July so far: 9.5 days measured (820,800 s), 3,600 s of them down; of
    # July's 133.92 minutes, 73.92 are left.
    assert "99.561&nbsp;%" in row and "73.9 min left" in row


def test_the_board_refreshes_itself_with_htmx_or_without_javascript(agent, tienda, july):
    page = agent.get("/en/console/sentry/?q=tiendasol").content.decode()
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in page
    assert 'hx-get="/en/console/sentry/?q=tiendasol"' in page
    assert 'hx-trigger="every 10s"' in page and ">Reload</a>" in page
    fragment = agent.get("/en/console/sentry/?q=tiendasol", HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="sentry-board")
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="sentry-board"')
    assert "<html" not in body and f'data-monitor="{tienda["site"].pk}"' in body
    assert f'data-monitor="{tienda["server"].pk}"' not in body  # the search still applies


def test_the_board_takes_a_fixed_number_of_queries(agent, tienda, otra, july,
                                                   django_assert_max_num_queries):
    few = queries_for(agent, "/en/console/sentry/")
    for n in range(20):
        Monitor.objects.create(kind=MonitorKind.SERVER, name=f"xc-{n}", url=f"https://{n}.x/",
                               state="down" if n % 3 else "up")
    Incident.objects.create(monitor=tienda["site"], started_at=JULY_10, confirmed_at=JULY_10,
                            error_class="dns", report={})
    with django_assert_max_num_queries(9):
        assert agent.get("/en/console/sentry/").status_code == 200
    assert queries_for(agent, "/en/console/sentry/") == few


def test_the_incident_page_shows_the_whole_report_beside_the_last_good_check(
        agent, tienda, july, django_assert_max_num_queries):
    customer = tienda["customer"]
    ticket = ticket_open(customer=customer, contact=factories.contact_user(customer),
                         channel=Channel.SENTRY, category="site_down",
                         site=customer.sites.get(), subject="Online Sentry: down",
                         body_text="report", received_at=JULY_10).ticket
    failing = {"ok": False, "error_class": "http_status", "error": "status 500", "status": 500,
               "timings": {"dns": 1.0, "connect": 2.0, "tls": 9.5, "ttfb": 40.0, "total": 41.0},
               "headers": {"server": "nginx", "x-powered-by": "PHP/8.2"},
               "body_head": "<h1>Fatal error</h1><script>alert(1)</script>",
               "certificate": {"subject": "CN=www.tiendasol.es", "issuer": "CN=R11",
                               "not_after": "2026-09-01T00:00:00+00:00", "days_left": 52},
               "redirects": [{"status": 301, "location": "https://www.tiendasol.es/"}],
               "url": "https://tiendasol.es/"}
    report = {"monitor": {"id": tienda["site"].pk, "name": tienda["site"].name, "kind": "site",
                          "url": tienda["site"].url},
              "what": "http_status", "error": "status 500", "since": JULY_10.isoformat(),
              "failing_checks": [{**failing, "at": (JULY_10 + timedelta(seconds=s)).isoformat()}
                                 for s in (0, 2, 60)],
              "last_good": {"ok": True, "status": 200, "error_class": None,
                            "timings": {"dns": 1.0, "connect": 2.0, "tls": 9.0, "ttfb": 80.0,
                                        "total": 95.0}, "headers": {}, "body_head": "Bienvenido"},
              "in_maintenance": False}
    incident = Incident.objects.create(monitor=tienda["site"], started_at=JULY_10,
                                       confirmed_at=JULY_10 + timedelta(seconds=60),
                                       resolved_at=JULY_10 + timedelta(minutes=12),
                                       error_class="http_status", report=report, ticket=ticket)
    with django_assert_max_num_queries(6):
        response = agent.get(f"/en/console/sentry/incidents/{incident.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert "3 failing checks" in page and page.count("check-failing") == 3
    assert "Last good check" in page and page.count("check-good") == 1
    assert "HTTP 500" in page and "status 500" in page and "PHP/8.2" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "CN=R11" in page and "52 days left" in page and "301 → https://www.tiendasol.es/" in page
    assert ">40.0<" in page and ">95.0<" in page  # ttfb of a failing check; total of the good
    assert "10 Jul 2026, 12:00:00" in page and "12.0" in page  # since, duration (min)
    assert f'href="/en/console/tickets/{ticket.pk}/"' in page
    assert agent.get("/en/console/sentry/incidents/999999/").status_code == 404


def test_agents_read_a_customers_report_with_the_same_numbers(agent, tienda, otra, july):
    june_hour(tienda["site"], 3, 8, down_seconds=7776)
    incident = Incident.objects.create(
        monitor=tienda["site"], started_at=datetime(2026, 6, 3, 8, tzinfo=UTC),
        confirmed_at=datetime(2026, 6, 3, 8, 2, tzinfo=UTC),
        resolved_at=datetime(2026, 6, 3, 10, 9, 36, tzinfo=UTC), error_class="keyword",
        report={})
    url = f"/en/console/sentry/customers/{tienda['customer'].pk}/report/?month=2026-06"
    page = text(agent.get(url))
    assert "Tienda Sol SL" in page and "99.700&nbsp;%" in page and "129.60" in page
    assert f"/en/console/sentry/incidents/{incident.pk}/" in page
    assert "secreto-otra" not in page
    assert agent.get("/en/console/sentry/customers/999999/report/").status_code == 404


def test_the_servers_page_gives_every_servers_month(agent, tienda, otra, july,
                                                    django_assert_max_num_queries):
    june_hour(otra["server"], 5, 1, down_seconds=9000)
    june_hour(tienda["server"], 5, 1)
    with django_assert_max_num_queries(9):
        response = agent.get("/en/console/sentry/servers/?month=2026-06")
    page = text(response)
    row = row_of(page, otra["server"])
    assert "xc-web-09" in row and "99.652&nbsp;%" in row and "verdict-missed" in row
    row = row_of(page, tienda["server"])
    assert "100.000&nbsp;%" in row and "verdict-met" in row


def test_the_console_and_portal_menus_link_to_online_sentry(agent, july):
    page = agent.get("/en/console/sentry/").content.decode()
    assert 'id="nav-sentry" aria-current="page"' in page


# ---------------------------------------------------------------- the policy's period (§6.2)

def window_row(page: str, monitor) -> str:
    return re.search(rf'data-window-monitor="{monitor.pk}"[^>]*>(.*?)</tr>', page).group(1)


def test_the_report_holds_uptime_against_the_policys_period_of_days(marta, tienda, july,
                                                                    settings, tmp_path):
    """uptime.period_days = 30: the commitment covers 11 June to 10 July; 7 days: 4-10 July."""
    from tests.policy.copies import policy_copy

    june_hour(tienda["site"], 20, 8, down_seconds=600)  # inside 30 days, outside 7
    page = text(marta.get("/portal/uptime/"))
    assert "El compromiso: los últimos 30 días" in page
    assert "en cada periodo de 30 días" in page
    row = window_row(page, tienda["site"])
    assert "10,00" in row and "129,60" in row  # 600 s down; the allowance of 30 days
    policy_copy(tmp_path, settings, ("period_days = 30", "period_days = 7"))
    english = text(marta.get("/en/portal/uptime/"))
    assert "The commitment: the last 7 days" in english
    assert "over every period of 7 days" in english
    row = window_row(english, tienda["site"])
    assert "30.24" in row and "No data" in row  # June is out of the last 7 days
