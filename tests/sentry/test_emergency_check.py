"""§1: emergencies arrive by e-mail too. A request whose text says a site or server is down
starts an immediate one-shot Online Sentry check of the client's sites (the named one first)
and servers: a confirmed failure applies the emergency at once and pages on-call, on a
Saturday too; otherwise it stays a proposal with the check's result shown to the agent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.console.conftest import verify_session
from tests.policy.door import compose, mail_door  # noqa: F401 (a fixture)
from xuala.customers.models import HostingServer
from xuala.desk.models import Channel, TriageState
from xuala.notify.models import OutboundEmail
from xuala.sentry import oneshot
from xuala.sentry.models import Monitor, MonitorKind

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
SATURDAY_11 = datetime(2026, 11, 28, 11, 0, tzinfo=MADRID)


@pytest.fixture
def saturday():
    with time_machine.travel(SATURDAY_11, tick=False) as traveller:
        yield traveller


@pytest.fixture
def checks_on(settings, monkeypatch, site_farm):
    """The one-shot check on, run when the ticket commits, probing the loopback farm."""
    settings.XUALA_EMERGENCY_CHECK = "inline"
    monkeypatch.setattr(oneshot, "PROBE_OPTIONS", {"resolve": site_farm.resolve,
                                                   "ssl_context": site_farm.client_context()})
    return site_farm


def client_with_site(farm, behaviour: str, *, email="marta@tiendasol.es", language="es"):
    """A hosting client (no plan) whose site plays ``behaviour``; its server answers."""
    customer = factories.customer(name="Tienda Sol SL", email=email, language=language,
                                  site_url=farm.url(behaviour))
    server = HostingServer.objects.get(name="xc-web-01")
    Monitor.objects.create(kind=MonitorKind.SERVER, server=server, name=server.name,
                           url=farm.url("srv-ok"), status_min=200, status_max=499)
    return customer


def test_a_site_down_reported_by_mail_on_saturday_is_confirmed_and_pages_on_call(
        mail_door, checks_on, saturday, django_capture_on_commit_callbacks):  # noqa: F811
    client_with_site(checks_on, "error500")
    with django_capture_on_commit_callbacks(execute=True):
        row = mail_door(compose(sender="marta@tiendasol.es", subject="La web está caída",
                                body="Desde hace un rato la web no carga, error 500."))
    ticket = row.ticket
    ticket.refresh_from_db()
    assert ticket.channel == Channel.EMAIL and ticket.triage_decision == "emergency"
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.ticket_class == "emergency"
    checked = ticket.events.get(key="sentry.emergency_checked")
    assert checked.data["confirmed"] is True
    assert [r["kind"] for r in checked.data["results"]] == ["site", "server"]
    site = checked.data["results"][0]
    assert site["ok"] is False and site["status"] == 500 and site["confirmed"] is True
    assert ticket.events.filter(key="oncall.paged").exists()
    page = OutboundEmail.objects.get(purpose="oncall.page")
    assert "EMERGENCY" in page.subject and ticket.reference in page.subject
    applied = ticket.events.filter(key="triage.applied").latest("pk")
    assert applied.actor is None and applied.data["confirmed_by"] == "sentry"


def test_a_site_that_answers_leaves_a_proposal_with_the_checks_result(
        client, agent_user, mail_door, checks_on, saturday,  # noqa: F811
        django_capture_on_commit_callbacks):
    client_with_site(checks_on, "ok")
    with django_capture_on_commit_callbacks(execute=True):
        row = mail_door(compose(sender="marta@tiendasol.es", subject="Web caída",
                                body="Creo que la web está caída."))
    ticket = row.ticket
    ticket.refresh_from_db()
    assert ticket.triage_decision == "emergency"
    assert ticket.triage_state == TriageState.PROPOSED
    assert ticket.ticket_class == "standard"
    assert ticket.events.get(key="sentry.emergency_checked").data["confirmed"] is False
    assert not OutboundEmail.objects.filter(purpose="oncall.page").exists()
    verify_session(client, agent_user)
    page = client.get(f"/console/tickets/{ticket.pk}/").content.decode()
    panel = page.split('id="emergency-check"', 1)[1].split("</section>", 1)[0]
    assert "no confirmó ningún fallo" in panel and "funciona" in panel
    english = client.get(f"/en/console/tickets/{ticket.pk}/").content.decode()
    assert "The check found no confirmed failure" in english


def test_the_named_site_is_checked_first_and_any_channel_starts_the_check(
        checks_on, saturday, django_capture_on_commit_callbacks):
    from xuala.desk.services import ticket_open

    customer = client_with_site(checks_on, "ok", email="tom@brit.co.uk", language="en")
    down = customer.sites.create(url=checks_on.url("status"), server=customer.sites.get().server)
    with django_capture_on_commit_callbacks(execute=True):
        opened = ticket_open(customer=customer, contact=factories.contact_user(customer),
                             channel=Channel.PORTAL, subject="Website down",
                             body_text="The shop answers 503.", category="other", site=down)
    ticket = opened.ticket
    ticket.refresh_from_db()
    results = ticket.events.get(key="sentry.emergency_checked").data["results"]
    assert results[0]["url"] == down.url and results[0]["status"] == 503
    assert ticket.triage_state == TriageState.APPLIED and ticket.ticket_class == "emergency"
