"""In real Chromium, at a desktop (1366 px) and a phone (390 px) width: the pages a new user
meets fit the window (no sideways scrolling of the page), and no status badge is cut off.
Each page's screenshot is saved under the test's temporary folder, so a failure can be seen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from xuala.desk.models import Channel
from xuala.desk.services import event_record, ticket_open
from xuala.sentry.models import Incident, Monitor, MonitorKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": 1366, "phone": 390}

# Every badge-like element: inside the window, and not clipped by a scrolling ancestor.
LAYOUT = """() => {
  const width = window.innerWidth;
  const cut = [];
  for (const el of document.querySelectorAll('.badge, .status, .state, .clock')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.left < 0 || box.right > width + 0.5) { cut.push(el.outerHTML); continue; }
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === 'visible') continue;
      const frame = up.getBoundingClientRect();
      if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) {
        cut.push(el.outerHTML); break;
      }
    }
  }
  return {scroll: document.scrollingElement.scrollWidth, width, cut};
}"""


@pytest.fixture
def world(db):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                                  plan="cobertura-mensual")
    contact = factories.contact_user(customer)
    agent = factories.agent()
    earlier = timezone.now() - timedelta(hours=1)
    tickets = [ticket_open(customer=customer, contact=contact, channel=Channel.PORTAL,
                           subject=subject, body_text="Desde esta mañana no funciona.",
                           category=category, received_at=earlier).ticket
               for subject, category in [
                   ("El formulario de contacto de la tienda no envía los pedidos", "hosting"),
                   ("La web no carga", "site_down"),
                   ("Duda sobre el FTP", "hosting")]]
    event_record(ticket=tickets[0], key="ticket.assigned", actor=agent, assignee=agent.pk)
    site = customer.sites.get()
    checked = {"last_check_at": earlier, "state_since": earlier,
               "last_result": {"status": 503, "error_class": "status",
                               "timings": {"dns": 12.4, "connect": 38.1, "tls": 121.7,
                                           "ttfb": 1843.2, "total": 1901.5}}}
    down = Monitor.objects.create(kind=MonitorKind.SITE, site=site, customer=customer,
                                  name="Tienda online de Cliente Demo", state="down",
                                  url="https://www.cliente-demo.es/tienda/categoria/ofertas/",
                                  **checked)
    Incident.objects.create(monitor=down, started_at=earlier, confirmed_at=earlier,
                            error_class="status", report={})
    Monitor.objects.create(kind=MonitorKind.SERVER, server=site.server, name=site.server.name,
                           url=f"https://{site.server.hostname}/", state="up", **checked)
    return {"contact": contact, "agent": agent, "ticket": tickets[0]}


def session_cookie(user, live_server, *, verified: bool = False) -> dict:
    """A signed-in session for ``user`` (past the console's code step when ``verified``)."""
    client = Client()
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return {"name": "sessionid", "value": client.cookies["sessionid"].value,
            "url": live_server.url}


def look(page, path: str, shot) -> dict:
    """Open ``path``, save its screenshot and measure its layout."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shot), full_page=True)
    return page.evaluate(LAYOUT)


def assert_fits(layout: dict, what: str) -> None:
    assert layout["scroll"] <= layout["width"], f"{what} scrolls sideways: {layout}"
    assert not layout["cut"], f"{what} cuts badges: {layout['cut']}"


@pytest.mark.parametrize("size", WIDTHS)
def test_the_client_pages_fit_the_window(new_page, world, live_server, tmp_path, size):
    page = new_page()
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    page.context.add_cookies([session_cookie(world["contact"], live_server)])
    for name, path in [("dashboard", "/portal/"), ("new", "/portal/tickets/new/"),
                       ("ticket", f"/portal/tickets/{world['ticket'].pk}/"),
                       ("uptime", "/portal/uptime/"),
                       ("policy", "/kb/politicas-de-asistencia-tecnica/")]:
        layout = look(page, path, tmp_path / f"portal-{name}-{size}.png")
        assert_fits(layout, f"{path} at {size}")
        if name == "dashboard":
            assert page.locator("#tickets .badge").count() == 6


@pytest.mark.parametrize("size", WIDTHS)
def test_the_console_pages_fit_the_window(new_page, world, live_server, tmp_path, size):
    page = new_page()
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    page.context.add_cookies([session_cookie(world["agent"], live_server, verified=True)])
    for name, path in [("queue", "/console/"),
                       ("ticket", f"/console/tickets/{world['ticket'].pk}/"),
                       ("sentry", "/console/sentry/")]:
        layout = look(page, path, tmp_path / f"console-{name}-{size}.png")
        assert_fits(layout, f"{path} at {size}")
        assert page.locator(".status, .state").count() > 0, path


@pytest.mark.parametrize("size", WIDTHS)
def test_the_security_audit_pages_fit_the_window(new_page, world, live_server, tmp_path, size):
    from xuala.wsa.models import Action, Audit, AuditSchedule, Finding

    site = world["ticket"].customer.sites.get()
    type(world["ticket"]).objects.filter(pk=world["ticket"].pk).update(site=site)
    AuditSchedule.objects.create(site=site, next_at=timezone.now() + timedelta(days=9))
    audit = Audit.objects.create(site=site, state="done", finished_at=timezone.now(),
                                 files=2736, bytes=85_279_031, seconds=2.3, database=True)
    deep = "wp-content/plugins/woocommerce-extra-checkout-fields-for-brazil/includes/" * 2
    Finding.objects.create(audit=audit, path=deep + "class-extra-checkout-fields-loader.php",
                           kind="malware", rule="php_exec_request_data", severity="critical",
                           evidence="eval(base64_decode($_POST['" + "A" * 150 + "']))",
                           action=Action.QUARANTINED, quarantine_id="20260310T120000-1a2b3c4d")
    Finding.objects.create(audit=audit, path="db:wp_posts/2", kind="database",
                           rule="injected-script", severity="high", action=Action.STRIPPED,
                           evidence="<script>eval(atob('ZG9jdW1lbnQ'))</script>",
                           diff="--- wp_posts/2 (before)\n+++ wp_posts/2 (after)\n-<p>Tienda</p>"
                                f"<script>eval(atob('{'ZG9jdW1lbnQud3JpdGUo' * 20}'))</script>\n")
    Finding.objects.create(audit=audit, path="wp-includes/functions.php", kind="integrity",
                           rule="core-file-modified", severity="high", action=Action.PROPOSED,
                           remedy="wsa.core_replace", evidence="differs from WordPress 6.1.9",
                           detail={"pristine_missing": True, "version": "6.1.9"})
    page = new_page()
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    page.context.add_cookies([session_cookie(world["agent"], live_server, verified=True)])
    for name, path in [("sites", "/console/wsa/"), ("site", f"/console/wsa/sites/{site.pk}/"),
                       ("audit", f"/console/wsa/audits/{audit.pk}/"),
                       ("ticket", f"/console/tickets/{world['ticket'].pk}/")]:
        layout = look(page, path, tmp_path / f"console-wsa-{name}-{size}.png")
        assert_fits(layout, f"{path} at {size}")
        assert page.locator("#nav-wsa").count() == 1, path
    page.goto(f"/console/tickets/{world['ticket'].pk}/")
    page.locator("#ticket-site-audits").click()
    page.locator("#wsa-audits a").first.click()
    assert page.locator("#wsa-findings tbody tr").count() == 3
    page.goto("/console/wsa/")
    assert page.locator("#nav-wsa").get_attribute("aria-current") == "page"
    assert page.locator(f"#wsa-sites tr[data-site='{site.pk}']").count() == 1


@pytest.mark.parametrize("size", WIDTHS)
def test_a_missing_page_is_styled_and_fits(new_page, world, tmp_path, size):
    page = new_page()
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    response = page.goto("/portal/no-such-page/")
    assert response.status == 404
    page.screenshot(path=str(tmp_path / f"404-{size}.png"), full_page=True)
    assert_fits(page.evaluate(LAYOUT), f"404 at {size}")
    assert page.locator("link[rel=stylesheet]").count() >= 1
    assert "Página no encontrada" in page.locator("h1").inner_text()
    assert page.locator("link[rel=icon]").count() == 1
