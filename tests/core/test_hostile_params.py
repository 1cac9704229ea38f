"""Every URL of the root URLconf, as a visitor, a client and an agent, with hostile values in
every query parameter its view reads: huge numbers, superscript digits, NUL, 10 kB strings,
bad dates. A bad value is refused (4xx) or ignored, never a server error.

The parameters a view reads are found by asking it: a first request records every key the
view looks up in the query string; each is then sent alone with each hostile value, and
every value is also sent in all the usual parameters at once.
"""

from __future__ import annotations

import contextlib
import re
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.signals import got_request_exception
from django.http import QueryDict
from django.test import Client
from django.urls import LocalePrefixPattern, URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.console.conftest import verify_session
from xuala.accounts.models import User
from xuala.api.services import api_token_create
from xuala.core.demo import demo_load
from xuala.customers.models import Customer
from xuala.desk.models import Attachment, CannedReply, Ticket
from xuala.desk.services import Upload, ticket_note

HOSTILE = [
    "400000000000000000", "99999999999999999999", "-1", "0", "²", "2026-²", "¹²", "\x00",
    "a\x00b", "x" * 10240, "2026-13", "9999-99-99", "0000-00", "1e309", "NaN", "%", "' OR 1=1",
    "../../etc/passwd", "//evil.example/", "foo", "\u202e", "<script>",
]
# Parameters a view might read only on some branch; always tried together.
USUAL = ["page", "page_size", "month", "q", "next", "ticket", "canned", "status", "hours",
         "class", "customer_id", "number", "subject", "description", "assignee", "ticket_class",
         "lang", "language", "o", "p", "e", "day", "week", "date", "from", "to", "tz"]


class _Recorder:
    keys: set[str] | None = None


def _recording(method):
    def wrapper(self, key, *args, **kwargs):
        if _Recorder.keys is not None and isinstance(key, str):
            _Recorder.keys.add(key)
        return method(self, key, *args, **kwargs)
    return wrapper


@pytest.fixture
def recorded(monkeypatch):
    for name in ("get", "__getitem__", "__contains__", "getlist"):
        monkeypatch.setattr(QueryDict, name, _recording(getattr(QueryDict, name)))
    return _Recorder


def _patterns(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            # The pages under /<lang>/ are walked bare (Spanish), whatever language is active.
            own = "" if isinstance(entry.pattern, LocalePrefixPattern) else str(entry.pattern)
            for route, name in _patterns(entry.url_patterns, prefix + own):
                yield route, (namespace + name) if name and namespace else name
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or ""


def _admin_route(route: str) -> bool:
    # The admin's model pages take the model's own ids; its index, lists and sign-in are walked.
    return route.startswith("admin/") and "<" in route


def _world(db):
    """The demo (customers, agents, tickets in every state) plus one of each other object."""
    from xuala.kb.models import Article
    from xuala.meetings.models import AgentAvailability
    from xuala.meetings.services import availability_add, meeting_request_open
    from xuala.quotes.models import LineKind
    from xuala.quotes.services import quote_draft, quote_line_add, quote_send
    from xuala.sentry.models import Monitor, MonitorKind
    from xuala.sentry.services import incident_open

    demo_load()
    ana = User.objects.get(email="ana@cliente-demo.es")
    agent = User.objects.get(email="agente@modo3.net")
    customer = Customer.objects.get(contacts__user=ana)
    ticket = Ticket.objects.filter(customer=customer).order_by("pk").first()
    note = ticket_note(ticket=ticket, author=agent, body_text="registro",
                       uploads=[Upload("log.txt", b"log", "text/plain")])
    quote = quote_draft(ticket=ticket, created_by=agent)
    line = quote_line_add(quote=quote, actor=agent, description="Trabajo",
                          quantity=Decimal("1"), unit_price=Decimal("10"), kind=LineKind.WORK)
    quote_send(quote=quote, actor=agent)
    site = customer.sites.first()
    monitor = Monitor.objects.get_or_create(site=site, defaults=dict(
        kind=MonitorKind.SITE, customer=customer, name=site.url, url=site.url))[0]
    now = timezone.now()
    incident = incident_open(monitor=monitor, since=now - timedelta(minutes=5), confirmed_at=now,
                             last_result={}, in_maintenance=False)
    from datetime import time
    window = (AgentAvailability.objects.filter(agent=agent).first()
              or availability_add(agent=agent, weekday=0, starts=time(10), ends=time(12)))
    meeting = meeting_request_open(ticket=ticket, actor=agent, offer=False)
    article = Article.objects.filter(published=True).first()
    ids = {
        "ticket": ticket.pk, "attachment": Attachment.objects.get(message=note).pk,
        "quote_line": getattr(line, "pk", 1), "monitor": monitor.pk, "incident": incident.pk,
        "customer": customer.pk, "window": window.pk, "meeting": meeting.pk,
        "canned": CannedReply.objects.first().pk,
    }
    return {"ana": ana, "agent": agent, "ids": ids, "number": quote.number,
            "slug": article.slug if article else "x", "customer": customer}


def _fill(route: str, name: str, world) -> str:
    """``route`` with its path parameters replaced by the ids of real objects."""
    ids = world["ids"]
    kind = {
        "portal:ticket": "ticket", "portal:attachment": "attachment",
        "console:attachment": "attachment", "portal:monitor": "monitor",
        "sentry:monitor": "monitor", "sentry:incident": "incident",
        "sentry:customer_report": "customer", "meetings:window_remove": "window",
        "console:canned_edit": "canned", "console:canned_delete": "canned",
    }
    pk_kind = "ticket"
    for key, value in kind.items():
        if name.endswith(key.split(":", 1)[1]) and key.split(":")[0] in (name.split(":")[0],):
            pk_kind = value
    if "meeting" in name or route.startswith("portal/meetings/") or "meetings/<int:pk>" in route:
        pk_kind = "meeting"
    if "lines/<int:pk>" in route:
        pk_kind = "quote_line"
    for key, value in kind.items():
        if name == key:
            pk_kind = value
    out = route.replace("^", "").replace("$", "").replace(".*", "x")
    out = out.replace("<int:pk>", str(ids[pk_kind])).replace("<int:ticket_pk>", str(ids["ticket"]))
    out = out.replace("<str:number>", world["number"]).replace("<slug:slug>", world["slug"])
    out = out.replace("<str:token>", "x").replace("<ticket_id>", str(ids["ticket"]))
    out = out.replace("<customer_id>", str(ids["customer"]))
    # Any other parameter: a number where a number is wanted, a word elsewhere.
    out = re.sub(r"<int:[^>]+>", "1", out)
    out = re.sub(r"<[^>]+>", "x", out)
    return "/" + out


def _client(role: str, world) -> tuple[Client, dict]:
    client = Client(raise_request_exception=False)
    headers: dict = {}
    if role == "client":
        client.force_login(world["ana"])
        headers["HTTP_AUTHORIZATION"] = "Bearer " + api_token_create(user=world["ana"]).secret
    elif role == "agent":
        verify_session(client, world["agent"])
        headers["HTTP_AUTHORIZATION"] = "Bearer " + api_token_create(user=world["agent"]).secret
    return client, headers


@contextlib.contextmanager
def server_errors():
    """The list of the exceptions the views raise meanwhile (path, type, message)."""
    errors: list[str] = []

    def on_exception(sender, request=None, **kwargs):
        exc = sys.exc_info()[1]
        errors.append(f"{request.path} {type(exc).__name__}: {str(exc)[:160]}")

    got_request_exception.connect(on_exception)
    try:
        yield errors
    finally:
        got_request_exception.disconnect(on_exception)


@pytest.mark.django_db
def test_no_url_answers_a_server_error_to_hostile_query_parameters(recorded):
    world = _world(None)
    failures: list[str] = []
    routes = [(r, n) for r, n in _patterns(get_resolver().url_patterns) if not _admin_route(r)]
    with server_errors() as errors:
        for role in ("anonymous", "client", "agent"):
            client, headers = _client(role, world)
            for route, name in routes:
                url = _fill(route, name, world)
                recorded.keys = set()
                first = client.get(url, **headers)
                read = set(recorded.keys)
                recorded.keys = None
                if first.status_code >= 500:
                    failures.append(f"{role} {url}: {first.status_code}")
                if "Content-Security-Policy" not in first:
                    failures.append(f"{role} {url}: no Content-Security-Policy")
                for key in sorted(read):
                    for value in HOSTILE:
                        response = client.get(url, {key: value}, **headers)
                        if response.status_code >= 500:
                            failures.append(f"{role} {url}?{key}={value[:20]!r}: "
                                            f"{response.status_code}")
                for value in HOSTILE:
                    response = client.get(url, dict.fromkeys(USUAL, value), **headers)
                    if response.status_code >= 500:
                        failures.append(f"{role} {url} all={value[:20]!r}: "
                                        f"{response.status_code}")
    assert not failures, "\n".join([*failures[:30], "--- distinct errors:",
                                     *sorted(set(errors))[:60]])


def test_the_walker_reaches_the_views_that_read_query_parameters():
    """The walk covers the pages the security probe named (a guard against a walker that
    silently skips them)."""
    routes = {r for r, _n in _patterns(get_resolver().url_patterns)}
    for route in ("portal/uptime/", "portal/uptime/monitors/<int:pk>/", "portal/login/",
                  "console/", "console/quotes/new/", "console/sentry/", "api/v1/tickets"):
        assert route in routes
