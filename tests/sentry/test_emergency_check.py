"""§1: emergencies arrive by e-mail too. A request whose text says a site or server is down
starts an immediate one-shot Online Sentry check of the client's sites (the named one first),
their servers and other sites on those servers, and the live facts decide (issue 17 §3): a
server fault (the server failing, or the other sites on it failing too) applies the emergency
at once and pages on-call, on a Saturday too; the client's site failing while its server and
the other sites on it work is a fault of the website (§6.2: covered by a plan's urgent review,
a plan offered without one); no confirmed failure leaves a proposal with the check's result
shown to the agent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.console.conftest import verify_session
from tests.policy.door import compose, mail_door  # noqa: F401 (a fixture)
from xuala.customers.models import HostingServer
from xuala.desk.models import Channel, MessageKind, Status, TriageState
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


def client_with_site(farm, behaviour: str, *, email="marta@tiendasol.es", language="es",
                     server_behaviour="srv-ok", plan=None):
    """A client (hosting only, or with ``plan``) whose site plays ``behaviour``; its server's
    monitor plays ``server_behaviour`` (by default it answers)."""
    customer = factories.customer(name="Tienda Sol SL", email=email, language=language,
                                  site_url=farm.url(behaviour), plan=plan)
    server = HostingServer.objects.get(name="xc-web-01")
    Monitor.objects.create(kind=MonitorKind.SERVER, server=server, name=server.name,
                           url=farm.url(server_behaviour), status_min=200, status_max=499)
    return customer


def neighbour_site(farm, behaviour: str):
    """Another customer's site on the same server (xc-web-01), playing ``behaviour``."""
    farm.overrides["vecino.farm.test"] = behaviour
    return factories.customer(name="Vecino SL", email="pepe@vecino.es",
                              site_url=farm.url("vecino")).sites.get()


def mail_site_down(door, callbacks, body="Desde hace un rato la web no carga, error 500."):
    with callbacks(execute=True):
        row = door(compose(sender="marta@tiendasol.es", subject="La web está caída",
                                body=body))
    row.ticket.refresh_from_db()
    return row.ticket


def test_a_server_down_reported_by_mail_on_saturday_is_confirmed_and_pages_on_call(
        mail_door, checks_on, saturday, django_capture_on_commit_callbacks):  # noqa: F811
    client_with_site(checks_on, "error500", server_behaviour="error500")
    with django_capture_on_commit_callbacks(execute=True):
        row = mail_door(compose(sender="marta@tiendasol.es", subject="La web está caída",
                                body="Desde hace un rato la web no carga, error 500."))
    ticket = row.ticket
    ticket.refresh_from_db()
    assert ticket.channel == Channel.EMAIL and ticket.triage_decision == "emergency"
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.ticket_class == "emergency"
    checked = ticket.events.get(key="sentry.emergency_checked")
    assert checked.data["confirmed"] is True and checked.data["fault"] == "server"
    assert [r["kind"] for r in checked.data["results"]] == ["site", "server"]
    site, server = checked.data["results"]
    assert site["ok"] is False and site["status"] == 500 and site["confirmed"] is True
    assert server["ok"] is False and server["confirmed"] is True
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


def reported_beside_a_neighbour(door, farm, callbacks, site: str, neighbour: str, **client):
    """The client's site plays ``site`` and another customer's on the same server plays
    ``neighbour``; the client mails that the site is down. The ticket, the fault the check
    found and (kind, ok) of each thing it checked."""
    client_with_site(farm, site, **client)
    neighbour_site(farm, neighbour)
    ticket = mail_site_down(door, callbacks)
    checked = ticket.events.get(key="sentry.emergency_checked").data
    return ticket, checked["fault"], [(r["kind"], r["ok"]) for r in checked["results"]]


def test_the_site_and_the_other_site_on_its_server_down_is_a_server_fault(
        mail_door, checks_on, saturday, django_capture_on_commit_callbacks):  # noqa: F811
    # The server's own check answers, but another customer's site fails as well.
    ticket, fault, checked = reported_beside_a_neighbour(
        mail_door, checks_on, django_capture_on_commit_callbacks, "error500", "error500")
    assert checked == [("site", False), ("neighbour", False), ("server", True)]
    assert fault == "server"
    assert (ticket.triage_decision, ticket.triage_state, ticket.ticket_class) == (
        "emergency", TriageState.APPLIED, "emergency")
    assert OutboundEmail.objects.filter(purpose="oncall.page").exists()


def test_a_site_down_while_its_server_and_the_other_site_work_is_a_website_fault(
        client, agent_user, mail_door, checks_on, saturday,  # noqa: F811
        django_capture_on_commit_callbacks):
    ticket, fault, checked = reported_beside_a_neighbour(
        mail_door, checks_on, django_capture_on_commit_callbacks, "error500", "ok")
    assert checked == [("site", False), ("neighbour", True), ("server", True)]
    assert fault == "site"
    # §6.2 without a plan: not an emergency; the plans are offered and the ticket resolved.
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "site_fault", "needs_plan", "6.2")
    assert ticket.triage_state == TriageState.APPLIED and ticket.ticket_class == "standard"
    assert ticket.status == Status.RESOLVED
    assert "6.2" in ticket.messages.get(kind=MessageKind.AUTO).body_text
    assert not OutboundEmail.objects.filter(purpose="oncall.page").exists()
    applied = ticket.events.filter(key="triage.applied").latest("pk").data
    assert applied["confirmed_by"] == "sentry" and applied["proposed"] == "site_down"
    assert applied["facts"] == {"failing": [checks_on.url("error500")]}
    # The agent sees the facts that decided it beside the ticket.
    verify_session(client, agent_user)
    page = client.get(f"/en/console/tickets/{ticket.pk}/").content.decode()
    panel = page.split('id="emergency-check"', 1)[1].split("</section>", 1)[0]
    assert 'data-fault="site"' in panel and "It is a fault of the website (§6.2)" in panel
    assert "another customer's site on the same server:" in panel


def test_with_a_plan_a_website_fault_is_covered_by_the_urgent_review(
        mail_door, checks_on, saturday, django_capture_on_commit_callbacks):  # noqa: F811
    ticket, fault, _checked = reported_beside_a_neighbour(
        mail_door, checks_on, django_capture_on_commit_callbacks, "error500", "ok",
        plan="cobertura-mensual")
    assert fault == "site"
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "site_fault", "covered", "6.3.6")
    assert ticket.triage_state == TriageState.APPLIED
    assert (ticket.ticket_class, ticket.status) == ("priority", Status.NEW)  # work for agents
    assert not OutboundEmail.objects.filter(purpose="oncall.page").exists()


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
    # The client's other site on the same server answers, and so does the server: the
    # named site's own fault (§6.2), not an emergency.
    assert [(r["kind"], r["ok"]) for r in results] == [("site", False), ("site", True),
                                                       ("server", True)]
    assert ticket.triage_state == TriageState.APPLIED and ticket.triage_rule == "site_fault"
    assert ticket.ticket_class == "standard" and ticket.triage_decision == "needs_plan"


def _result(kind, ok, server="xc-web-01", site_id=None):
    row = {"kind": kind, "name": server if kind == "server" else f"{kind}.{server}",
           "url": f"http://{kind}.{server}/", "ok": ok, "confirmed": not ok}
    return row if kind == "server" else {**row, "server": server, "site_id": site_id}


@pytest.mark.parametrize(("results", "fault"), [
    ([_result("site", True, site_id=1), _result("server", True)], None),
    ([_result("site", False, site_id=1), _result("server", True)], "site"),
    ([_result("site", False, site_id=1), _result("neighbour", True), _result("server", True)],
     "site"),
    ([_result("site", False, site_id=1), _result("neighbour", False), _result("server", True)],
     "server"),
    ([_result("site", False, site_id=1), _result("server", False)], "server"),
    ([_result("site", True, site_id=1), _result("server", False)], "server"),
    # a failing site whose server is not known (nothing to compare it with): §1, as reported
    ([_result("site", False, server="", site_id=1)], "server"),
    # two servers: the failing site's own server and neighbours work, the other is not used
    ([_result("site", False, site_id=1), _result("site", True, server="b", site_id=2),
      _result("server", True), _result("server", True, server="b")], "site"),
    # a neighbour failing alone is another customer's business
    ([_result("site", True, site_id=1), _result("neighbour", False), _result("server", True)],
     None),
])
def test_what_the_checks_results_say(results, fault):
    found = oneshot.fault_of(results)
    assert found["fault"] == fault
    if fault == "site":
        assert found["site_id"] == 1


# ----------------------------------------------- the "site down" category of the client area

def picked_site_down(client, farm, callbacks, site: str, *, server="srv-ok", neighbour="ok"):
    """The client picks "my website or server is down" in the client-area form for its site
    (playing ``site``); its server plays ``server`` and another customer's site on it
    ``neighbour``. The ticket after the one-shot check."""
    from xuala.desk.models import Ticket

    customer = client_with_site(farm, site, server_behaviour=server)
    neighbour_site(farm, neighbour)
    client.force_login(factories.contact_user(customer))
    with callbacks(execute=True):
        response = client.post("/portal/tickets/new/", {
            "about": f"site:{customer.sites.get().pk}", "category": "site_down",
            "subject": "La web no va", "description": "No se ve nada."})
    assert response.status_code == 302
    return Ticket.objects.get(customer=customer)


def test_the_site_down_category_with_the_website_alone_failing_is_a_website_fault(
        client, checks_on, saturday, django_capture_on_commit_callbacks):
    ticket = picked_site_down(client, checks_on, django_capture_on_commit_callbacks,
                              "error500")
    # The form's category applied the emergency at once and paged on-call ...
    assert OutboundEmail.objects.filter(purpose="oncall.page", ticket=ticket).exists()
    # ... then the check found the website alone failing: §6.2, not an emergency.
    assert ticket.events.get(key="sentry.emergency_checked").data["fault"] == "site"
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "site_fault", "needs_plan", "6.2")
    assert ticket.triage_state == TriageState.APPLIED and ticket.ticket_class == "standard"
    assert ticket.status == Status.RESOLVED
    assert "6.2" in ticket.messages.get(kind=MessageKind.AUTO).body_text
    applied = ticket.events.filter(key="triage.applied").latest("pk").data
    assert applied["confirmed_by"] == "sentry" and applied["replaced"] == "emergency"
    stand_down = OutboundEmail.objects.get(purpose="oncall.stand_down", ticket=ticket)
    assert ticket.reference in stand_down.subject and "Not an emergency" in stand_down.subject
    assert ticket.events.filter(key="oncall.stood_down").exists()


def test_the_site_down_category_with_a_plan_and_the_website_failing_is_its_urgent_review(
        client, checks_on, saturday, django_capture_on_commit_callbacks):
    from xuala.customers.models import Contract

    customer = client_with_site(checks_on, "error500", plan="cobertura-mensual")
    assert Contract.objects.filter(customer=customer).exists()
    neighbour_site(checks_on, "ok")
    client.force_login(factories.contact_user(customer))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/tickets/new/", {
            "about": f"site:{customer.sites.get().pk}", "category": "site_down",
            "subject": "La tienda da error", "description": "Error 500 al pagar."})
    ticket = customer.tickets.get()
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_clause) == (
        "site_fault", "covered", "6.3.6")
    assert (ticket.ticket_class, ticket.status) == ("priority", Status.NEW)
    assert OutboundEmail.objects.filter(purpose="oncall.stand_down", ticket=ticket).exists()


@pytest.mark.parametrize(("site", "server", "neighbour", "fault"), [
    ("error500", "error500", "ok", "server"),  # the server fails: the emergency it is
    ("error500", "srv-ok", "error500", "server"),  # the other site on it fails too
    ("ok", "srv-ok", "ok", None),  # nothing fails: the client's word stands
])
def test_the_site_down_category_stays_an_emergency_unless_the_website_alone_fails(
        client, checks_on, saturday, django_capture_on_commit_callbacks, site, server,
        neighbour, fault):
    ticket = picked_site_down(client, checks_on, django_capture_on_commit_callbacks, site,
                              server=server, neighbour=neighbour)
    assert ticket.events.get(key="sentry.emergency_checked").data["fault"] == fault
    assert (ticket.triage_rule, ticket.triage_decision, ticket.triage_state) == (
        "site_down", "emergency", TriageState.APPLIED)
    assert ticket.ticket_class == "emergency" and ticket.status != Status.RESOLVED
    assert OutboundEmail.objects.filter(purpose="oncall.page", ticket=ticket).count() == 1
    assert not OutboundEmail.objects.filter(purpose="oncall.stand_down").exists()
