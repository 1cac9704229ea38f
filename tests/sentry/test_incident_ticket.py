"""The ticket Online Sentry opens for a plan site that is down: written by the desk, in the
client's language and in words, with the technical report as an internal note; it joins
the client's own open emergency for the same site."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from xuala.customers.models import HostingServer
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.sentry import services
from xuala.sentry.models import Monitor

pytestmark = pytest.mark.django_db

# A Tuesday in March: 14:05 UTC is 15:05 in the policy's zone (Europe/Madrid, CET).
CONFIRMED = datetime(2026, 3, 10, 14, 5, tzinfo=UTC)
SINCE = CONFIRMED - timedelta(minutes=2)
DOWN = {"ok": False, "error_class": "http_status", "status": 500, "error": "HTTP 500",
        "timings": {"total": 12.0}}


def _down_site(language: str):
    customer = factories.customer(name="Tienda Sol SL", email="marta@tiendasol.es",
                                  plan="cobertura-mensual", language=language,
                                  site_url="https://www.tiendasol.es/")
    HostingServer.objects.update(is_active=False)
    services.monitors_sync(now=SINCE)
    return customer, Monitor.objects.get(site__customer=customer)


def _incident(monitor):
    return services.incident_open(monitor=monitor, since=SINCE, confirmed_at=CONFIRMED,
                                  last_result=DOWN, in_maintenance=False)


@time_machine.travel(CONFIRMED, tick=False)
def test_the_incident_ticket_is_written_by_the_desk_in_the_clients_words(client):
    customer, monitor = _down_site("es")
    ticket = _incident(monitor).ticket
    first = ticket.messages.order_by("created_at", "pk").first()
    assert first.kind == "auto" and first.author is None
    assert ticket.subject == "Su web https://www.tiendasol.es/ no funciona"
    assert "responde con una página de error" in first.body_text
    assert "desde el 10 Mar 2026, 15:03 (Europe/Madrid)" in first.body_text
    assert "status=" not in first.body_text and "What failed" not in first.body_text
    assert ticket.events.get(key="ticket.opened").actor is None
    # The technical report is an internal note for agents.
    note = ticket.messages.get(kind="note")
    assert "What failed: http_status — HTTP 500" in note.body_text
    client.force_login(factories.contact_user(customer))
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Online Sentry (automático)" in page
    assert "What failed" not in page
    assert '<strong class="author">Tienda Sol SL contact' not in page


@time_machine.travel(CONFIRMED, tick=False)
def test_an_english_client_gets_the_incident_ticket_in_english():
    _, monitor = _down_site("en")
    ticket = _incident(monitor).ticket
    first = ticket.messages.order_by("created_at", "pk").first()
    assert ticket.subject == "Your website https://www.tiendasol.es/ is not working"
    assert "it answers with an error page" in first.body_text
    assert "since 10 Mar 2026, 15:03 (Europe/Madrid)" in first.body_text


@time_machine.travel(CONFIRMED, tick=False)
def test_the_incident_joins_the_clients_own_open_emergency_for_the_same_site():
    customer, monitor = _down_site("es")
    marta = factories.contact_user(customer)
    own = ticket_open(customer=customer, contact=marta, channel=Channel.PORTAL,
                      subject="La web no carga", body_text="Sale un error.",
                      category="site_down", site=monitor.site,
                      received_at=SINCE - timedelta(minutes=1)).ticket
    assert own.ticket_class == "emergency"
    incident = _incident(monitor)
    assert incident.ticket == own
    assert customer.tickets.count() == 1
    joined = own.messages.filter(kind="auto", channel="sentry").get()
    assert "Online Sentry" in joined.body_text and "15:03 (Europe/Madrid)" in joined.body_text
    assert own.messages.filter(kind="note", body_text__contains="What failed: http_status").exists()
    assert own.events.filter(key="sentry.incident_joined").exists()
