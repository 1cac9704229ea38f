"""Tenancy over the whole site: customer B's contact, asking every URL a client can reach with
customer A's ids, gets a 404 (or a refusal), sees nothing of A, and changes nothing.

The routes are read from the root URL configuration (xuala/urls.py) and every route outside
the agents' mounts (console/, admin/) is asked: the client area under /portal/ whatever app
serves it, the REST API under /api/, and any mount added later. A route that takes no id is
asked as it is; a route that takes ids gets A's objects through ARGUMENTS, by the name of
the argument (or, for a bare ``pk``, by the route's name). A new route whose arguments the
test cannot fill fails here until it is given A's object it addresses, so no route is left
out by forgetting it.

The API's per-operation answers (the exact status and error code of each operation, lists
holding B's own objects only) are in tests/api/test_tenancy.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RoutePattern

from tests import factories
from tests.api.conftest import secret_for
from tests.meetings.conftest import make_available
from xuala.customers.models import HostingServer
from xuala.desk.models import Attachment, Channel, Message, Ticket
from xuala.desk.services import Upload, ticket_open, ticket_reply
from xuala.intake.models import InboundMessage
from xuala.meetings import services as meeting_services
from xuala.meetings.models import ClientProposal, Meeting
from xuala.nodes.models import Job
from xuala.notify.models import OutboundEmail
from xuala.quotes.models import LineKind
from xuala.quotes.services import quote_draft, quote_line_add, quote_send
from xuala.sentry.models import Monitor, MonitorKind
from xuala.updates.models import UpdateCheck, UpdateRun, UpdateSchedule
from xuala.updates.store import PNG_SIGNATURE, image_save
from xuala.wsa.models import Audit

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
# Monday 23 November 2026, noon in Madrid: a week without national holidays, so the meeting
# request is offered its slots (Wednesday 25 at 10:00 among them).
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=MADRID)
PICKED = datetime(2026, 11, 25, 10, 0, tzinfo=MADRID)

AGENT_MOUNTS = ("console/", "admin/")
SECRET = "SECRETO-A"
PNG_A = PNG_SIGNATURE + SECRET.encode()  # A's screenshot (its bytes name A)


@dataclass(frozen=True)
class Route:
    path: str  # the route without its language prefix, arguments as <converter:name>
    name: str  # namespaced ("portal:ticket"); "" for an unnamed catch-all
    localized: bool  # served under /<lang>/ (Spanish bare) by i18n_patterns

    @property
    def arguments(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.path)


def client_routes(patterns=None, prefix: str = "", namespace: tuple = (),
                  localized: bool = False):
    """Every route of the root URL configuration outside the agents' mounts."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            locale = isinstance(entry.pattern, LocalePrefixPattern)
            inner = prefix + ("" if locale else str(entry.pattern))
            if inner.startswith(AGENT_MOUNTS):
                continue
            yield from client_routes(entry.url_patterns, inner,
                                     namespace + ((entry.namespace,) if entry.namespace else ()),
                                     localized or locale)
        elif isinstance(entry, URLPattern):
            path = prefix + str(entry.pattern)
            if path.startswith(AGENT_MOUNTS):
                continue
            if not isinstance(entry.pattern, RoutePattern):
                # A regular expression route: only the API's catch-all for unknown paths.
                assert entry.name is None and str(entry.pattern) == "^.*$", path
                path = prefix + "no-such-route"
            name = ":".join((*namespace, entry.name)) if entry.name else ""
            yield Route(path=path, name=name, localized=localized)


# The ids of customer A each route argument takes: by argument name, or by route name for a
# bare "pk". Values are functions of the world (A's objects).
ARGUMENTS = {
    "ticket_id": lambda w: w.ticket.pk,
    "customer_id": lambda w: w.customer.pk,
    "number": lambda w: w.quote.number,
    "token": lambda w: w.held.confirm_token,
    "portal:ticket": lambda w: w.ticket.pk,
    "portal:attachment": lambda w: w.attachment.pk,
    "meetings_portal:request": lambda w: w.meeting_request.pk,
    "meetings_portal:pick": lambda w: w.meeting_request.pk,
    "meetings_portal:propose": lambda w: w.meeting_request.pk,
    "meetings_portal:invitation": lambda w: w.meeting_request.pk,
    "sentry_portal:monitor": lambda w: w.monitor.pk,
    "wsa_portal:audit": lambda w: w.audit.pk,
    "wsa_portal:audit_pdf": lambda w: w.audit.pk,
    "finding_id": lambda w: w.audit.findings.get().pk,
    "job_id": lambda w: w.job.pk,
    "updates_portal:run": lambda w: w.update_run.pk,
    "check_id": lambda w: w.update_check.pk,
    "site_id": lambda w: w.site.pk,
}
# Arguments that address no customer's data: the knowledge base's public articles and the
# demo's stand-in websites. They are asked with a name nobody owns.
PUBLIC_ARGUMENTS = {"kb:article": "slug", "kb:vote": "slug", "demo_site": "name"}



def _form(world) -> dict:
    """What B posts: every field the client forms and the API take, pointing at A's objects
    where a field names one (a new ticket about A's site, for A's customer)."""
    return {"body": "intruso", "category": "hosting", "subject": "intruso",
            "description": "intruso", "username": "bruno@empresa-b.es", "password": "x",
            "about": f"site:{world.site.pk}", "slot": world.meeting_request.slots.first().pk,
            "text": "intruso", "time_1": "2026-11-27T10:00", "terms": "on", "reason": "No",
            "status": "closed", "customer_id": world.customer.pk}


@dataclass
class World:
    customer: object
    site: object
    ticket: Ticket
    attachment: Attachment
    held: InboundMessage
    quote: object
    meeting_request: object
    monitor: Monitor
    audit: Audit
    job: Job
    update_run: UpdateRun
    update_check: UpdateCheck


def _world(booked: bool, capture) -> World:
    a = factories.customer(name="Empresa A SL", email="alba@empresa-a.es",
                           plan="cobertura-anual", site_url="https://www.secreto-a.es/")
    agent = factories.agent()
    make_available(agent)
    contact = factories.contact_user(a)
    ticket = ticket_open(customer=a, contact=contact, channel=Channel.PORTAL,
                         subject=f"{SECRET} asunto", body_text=f"{SECRET} descripción",
                         category="hosting").ticket
    ticket_reply(ticket=ticket, author=agent, body_text=f"{SECRET} respuesta",
                 uploads=[Upload("secreto-a.txt", f"{SECRET} fichero".encode(), "text/plain")])
    raw = (b"From: alba@empresa-a.es\r\nTo: asistencia@modo3.net\r\nSubject: SECRETO-A\r\n"
           b"Message-ID: <held-a@empresa-a.es>\r\n\r\nSECRETO-A held\r\n")
    held = InboundMessage.objects.create(
        message_key="<held-a@empresa-a.es>", message_id="<held-a@empresa-a.es>", raw=raw,
        raw_size=len(raw), raw_sha256="0" * 64, path="smtp", status="held",
        outcome="auth.held", claimed_user=contact, confirm_token="tok-a-123")
    quote = quote_draft(ticket=ticket, created_by=agent)
    quote_line_add(quote=quote, actor=agent, description=f"{SECRET} migración",
                   quantity=Decimal("1"), unit_price=Decimal("100"), kind=LineKind.WORK)
    quote_send(quote=quote, actor=agent)
    with capture(execute=True):
        meeting_ticket = ticket_open(customer=a, contact=contact, channel=Channel.PORTAL,
                                     subject=f"{SECRET} reunión",
                                     body_text="¿Podemos vernos por videollamada?",
                                     category="meeting").ticket
    meeting_request = meeting_ticket.meeting_requests.get()
    if booked:
        meeting_services.meeting_pick(request=meeting_request,
                                      slot_id=meeting_request.slots.get(starts_at=PICKED).pk,
                                      by=contact, now=NOW)
    site = a.sites.get()
    monitor = Monitor.objects.create(kind=MonitorKind.SITE, site=site, customer=a,
                                     name=site.url, url=site.url, state="up")
    Monitor.objects.create(kind=MonitorKind.SERVER, server=site.server, name=site.server.name,
                           url=f"https://{site.server.hostname}/", state="up")
    job = Job.objects.create(key="tenancy-a", kind="wsa.audit", server=site.server, site=site,
                             params={"root": f"/srv/{SECRET}"})
    audit = Audit.objects.create(site=site, job=job, error=f"{SECRET} audit")
    audit.findings.create(path="db:wp_users/secreto-a", kind="database", rule="admin-unknown",
                          severity="high", action="proposed", remedy="wsa.admin_demote",
                          evidence=f"{SECRET} administrador")
    UpdateSchedule.objects.create(site=site, next_at=NOW)
    update_run = UpdateRun.objects.create(site=site, state="done", error=f"{SECRET} update")
    update_run.components.create(type="plugin", slug="secreto-a", status="updated")
    update_check = UpdateCheck.objects.create(run=update_run, phase="before", page="/",
                                              image=image_save(site_id=site.pk,
                                                               run_id=update_run.pk,
                                                               name="before", data=PNG_A))
    quote.refresh_from_db()
    return World(customer=a, site=site, ticket=ticket, held=held, quote=quote,
                 attachment=Attachment.objects.get(filename="secreto-a.txt"),
                 meeting_request=meeting_request, monitor=monitor, audit=audit, job=job,
                 update_run=update_run, update_check=update_check)


def _customer_b():
    """Customer B, on a server of its own, with objects of its own (so an empty answer proves
    nothing by accident)."""
    b = factories.customer(name="Empresa B SL", email="bruno@empresa-b.es",
                           plan="cobertura-anual")
    far = HostingServer.objects.create(name="xc-web-09", hostname="xc-web-09.xuala")
    b.sites.update(server=far)
    b.services.update(server=far)
    ticket_open(customer=b, contact=factories.contact_user(b), channel=Channel.PORTAL,
                subject="De B", body_text="Hola", category="hosting")
    return b


def _fill(route: Route, world: World) -> dict:
    kwargs = {}
    for argument in route.arguments:
        if PUBLIC_ARGUMENTS.get(route.name) == argument:
            kwargs[argument] = "nadie-lo-tiene"
        elif route.name in ARGUMENTS and argument == "pk":
            kwargs[argument] = ARGUMENTS[route.name](world)
        elif argument in ARGUMENTS and argument != "pk":
            kwargs[argument] = ARGUMENTS[argument](world)
        else:
            pytest.fail(f"route {route.name or route.path!r} takes {argument!r}: give it "
                        f"customer A's object in ARGUMENTS")
    return kwargs


def _url(route: Route, kwargs: dict, language: str) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.path)
    prefix = f"/{language}/" if route.localized and language != "es" else "/"
    return prefix + path


def _state(world: World) -> tuple:
    world.quote.refresh_from_db()
    world.held.refresh_from_db()
    world.ticket.refresh_from_db()
    return (Ticket.objects.count(), Message.objects.count(), OutboundEmail.objects.count(),
            Meeting.objects.count(), ClientProposal.objects.count(), world.ticket.status,
            world.quote.status, world.quote.decided_at, world.held.status)


def _leaks(world: World, response, url: str) -> list[str]:
    """A's secrets in the answer, but for the id B asked with (a 404 page may repeat the
    address)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode(errors="replace")
    secrets = [SECRET, world.customer.name, world.site.url, "secreto-a", world.quote.number,
               world.site.server.name]
    return [secret for secret in secrets if secret in text and secret not in url]


def test_the_walker_reads_every_client_mount_of_the_root_configuration():
    routes = list(client_routes())
    names = {route.name for route in routes}
    # One route of each mount a client reaches today, and none of the agents'.
    assert {"portal:ticket", "quotes_portal:detail", "meetings_portal:pick",
            "sentry_portal:monitor", "api-v1:get_ticket", "kb:article"} <= names
    assert not [route for route in routes if route.path.startswith(AGENT_MOUNTS)]
    assert all(route.name or route.path.endswith("no-such-route") for route in routes), \
        "every client route needs a name"


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("booked", [False, True], ids=["offered", "booked"])
def test_customer_b_never_reaches_customer_a_through_any_client_url(
        client, django_capture_on_commit_callbacks, language, booked):
    with time_machine.travel(NOW, tick=False):
        world = _world(booked, django_capture_on_commit_callbacks)
        b = _customer_b()
        b_user = factories.contact_user(b)
        token = {"Authorization": f"Bearer {secret_for(b_user)}"}
        form = _form(world)
        before = _state(world)
        asked = set()
        for route in client_routes():
            kwargs = _fill(route, world)
            url = _url(route, kwargs, language)
            if url in asked:
                continue  # the API serves several operations on one path
            asked.add(url)
            client.force_login(b_user)  # the logout route's POST ends the session
            get = client.get(url, headers=token)
            if route.path.startswith("api/"):
                post = client.post(url, json.dumps(form), content_type="application/json",
                                   headers=token)
            else:
                post = client.post(url, form, headers=token)
            if kwargs and route.name not in PUBLIC_ARGUMENTS:
                # The method a route takes answers 404 (an agents-only API operation refuses
                # with 403 before looking, a node's operation with 401: a client's token is
                # not a node's); the other method is 405.
                answers = {get.status_code, post.status_code}
                assert answers in ({404}, {404, 405}, {403, 405}, {401, 405}), (
                    f"{url} answered GET {get.status_code}, POST {post.status_code}")
                if route.localized:
                    assert get.status_code in (404, 405), f"GET {url}: {get.status_code}"
                    assert get.status_code == 404 or post.status_code == 404, url
            for method, response in (("GET", get), ("POST", post)):
                assert response.status_code < 500, f"{method} {url}: {response.status_code}"
                assert _leaks(world, response, url) == [], f"{method} {url} shows A's data"
        assert _state(world) == before
    assert any("/portal/" in url for url in asked) and any("/api/" in url for url in asked)
