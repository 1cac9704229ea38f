"""A subject with a line break never stops a ticket's mail: subjects are cleaned where they
enter (portal, API), the outbox sends what it can, and a message that can never be sent is
failed at once, recorded on its ticket and reported to the agents."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from tests import factories
from xuala.api.services import api_token_create
from xuala.desk.models import Channel, Ticket
from xuala.desk.services import ticket_open, ticket_reply
from xuala.notify.models import OutboundEmail, OutboundStatus
from xuala.notify.services import email_enqueue, outbox_step

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Madrid"))
INJECTED = "Mi web no va\r\nBcc: victima@otro.es\nX-Spam: yes"


@pytest.fixture
def clock():
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


def sent_subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_a_portal_subject_with_line_breaks_is_kept_on_one_line_and_acknowledged(
        client, plan_customer, clock):
    client.force_login(factories.contact_user(plan_customer))
    site = plan_customer.sites.first()
    response = client.post("/portal/tickets/new/", {
        "about": f"site:{site.pk}", "category": "hosting", "subject": INJECTED,
        "description": "No carga desde esta mañana."})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.subject == "Mi web no va Bcc: victima@otro.es X-Spam: yes"
    assert outbox_step() >= 1
    assert OutboundEmail.objects.get(purpose="ticket.ack").status == OutboundStatus.SENT
    assert any(ticket.reference in s for s in sent_subjects())
    assert all("\n" not in s and "\r" not in s for s in sent_subjects())
    assert not any("victima@otro.es" in ",".join(m.recipients()) for m in mail.outbox)


def test_an_api_subject_with_line_breaks_is_kept_on_one_line_and_acknowledged(
        client, plan_customer, agent_user, clock):
    token = api_token_create(user=agent_user).secret
    response = client.post("/api/v1/tickets", json.dumps({
        "subject": INJECTED, "body": "No carga.", "category": "hosting",
        "customer_id": plan_customer.pk, "contact_email": "ana@cliente-demo.es"}),
        content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert "\n" not in ticket.subject and "\r" not in ticket.subject
    assert outbox_step() >= 1
    assert OutboundEmail.objects.get(purpose="ticket.ack").status == OutboundStatus.SENT


@pytest.mark.parametrize("field", ["subject", "body"])
def test_the_api_refuses_nul_characters_as_the_forms_do(client, plan_customer, field):
    token = api_token_create(user=factories.contact_user(plan_customer)).secret
    body = {"subject": "Hola", "body": "Texto", field: "con\x00nulo"}
    response = client.post("/api/v1/tickets", json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not Ticket.objects.exists()


def test_a_reply_on_a_ticket_whose_stored_subject_has_a_line_break_is_sent(
        plan_customer, agent_user, clock):
    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="Antes", body_text="Hola",
                         category="hosting").ticket
    Ticket.objects.filter(pk=ticket.pk).update(subject="Una fila\r\nantigua")  # stored before
    ticket.refresh_from_db()
    ticket_reply(ticket=ticket, author=agent_user, body_text="Ya está resuelto.")
    outbox_step()
    assert not OutboundEmail.objects.exclude(status=OutboundStatus.SENT).exists()
    assert any("Una fila antigua" in s for s in sent_subjects())


def test_a_message_that_can_never_be_sent_fails_at_once_and_the_agents_are_told(
        plan_customer, clock, settings):
    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="Ayuda", body_text="Hola",
                         category="hosting").ticket
    bad = email_enqueue(to="ana@cliente-demo.es\nBcc: victima@otro.es", subject="Respuesta",
                        body_text="Texto", purpose="ticket.reply", ticket=ticket)
    outbox_step()
    bad.refresh_from_db()
    assert bad.status == OutboundStatus.FAILED and bad.attempts == 1
    assert bad.next_attempt_at is None and "BadHeaderError" in bad.last_error
    event = ticket.events.get(key="mail.failed")
    assert event.data["outbound"] == bad.pk and event.data["permanent"] is True
    notice = OutboundEmail.objects.get(purpose="mail.failed")
    assert notice.to == settings.XUALA_AGENTS_EMAIL and ticket.reference in notice.subject
    outbox_step()  # the notice itself goes out
    notice.refresh_from_db()
    assert notice.status == OutboundStatus.SENT
    clock.shift(86400)
    outbox_step()
    bad.refresh_from_db()
    assert bad.attempts == 1  # never retried


def test_a_relay_that_cannot_be_reached_keeps_the_message_for_a_later_attempt(
        plan_customer, clock):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    row = email_enqueue(to="ana@cliente-demo.es", subject="Hola", body_text="Texto",
                        purpose="ticket.reply")
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_TIMEOUT=5):
        outbox_step()
    row.refresh_from_db()
    assert row.status == OutboundStatus.PENDING and row.attempts == 1
    assert not OutboundEmail.objects.filter(purpose="mail.failed").exists()


def test_the_agent_sees_why_on_the_ticket_page(client, plan_customer, agent_user, clock):
    from tests.console.conftest import verify_session

    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="Ayuda", body_text="Hola",
                         category="hosting").ticket
    email_enqueue(to="ana@cliente-demo.es\r\nCc: otro@otro.es", subject="Respuesta",
                  body_text="Texto", purpose="ticket.reply", ticket=ticket)
    outbox_step()
    page = verify_session(client, agent_user).get(f"/console/tickets/{ticket.pk}/")
    log = page.content.decode().split('id="ticket-events"')[1]
    assert 'data-key="mail.failed"' in log and "ana@cliente-demo.es" in log
