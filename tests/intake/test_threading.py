"""Threading: a reply joins its ticket by Message-ID, then by [#id]; closed tickets reopen."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.intake.conftest import compose
from xuala.desk.models import Channel, MessageKind, Status, Ticket, TicketEvent
from xuala.desk.services import ticket_open, ticket_reply, ticket_set_status
from xuala.notify.models import OutboundEmail

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MADRID)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ticket(plan_customer, deliver, clock):
    """A ticket Ana opened by mail, acknowledged by the desk."""
    return deliver(compose(subject="La web va lenta", message_id="<first@cliente-demo.es>")).ticket


def reply_to(message_id: str, *, subject: str = "Re: La web va lenta",
             body: str = "Sigue igual.", references: str | None = None,
             sender: str = "ana@cliente-demo.es", new_id: str | None = None) -> bytes:
    headers = {"In-Reply-To": message_id, "References": references or message_id}
    return compose(sender=sender, subject=subject, body=body, headers=headers,
                   message_id=new_id)


def test_a_reply_to_the_acknowledgement_joins_the_same_ticket(ticket, deliver):
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    body = ("Os adjunto más datos.\n\nEl lun, 23 nov 2026 a las 10:00, Xuala Cloud "
            "<asistencia@modo3.net> escribió:\n> Hemos recibido su solicitud\n")
    row = deliver(reply_to(ack.message_id, body=body, new_id="<second@cliente-demo.es>"))
    assert row.outcome == "ticket.replied" and row.ticket == ticket
    assert row.detail["threaded_by"] == "message_id"
    message = ticket.messages.filter(kind=MessageKind.CLIENT).last()
    assert message.message_id == "<second@cliente-demo.es>"
    assert message.channel == Channel.EMAIL
    assert message.body_text.startswith("Os adjunto más datos.")
    assert "Hemos recibido su solicitud" not in message.body_text  # the quote is stripped
    assert Ticket.objects.count() == 1
    # No second acknowledgement for a reply.
    assert OutboundEmail.objects.filter(purpose="ticket.ack").count() == 1


def test_a_reply_to_an_agents_answer_joins_the_ticket_through_references(
        ticket, deliver, agent_user):
    answer = ticket_reply(ticket=ticket, author=agent_user, body_text="¿Qué plugin usa?")
    answer.refresh_from_db()
    row = deliver(reply_to("<unknown@elsewhere>", references=f"{answer.message_id} "
                           "<unknown@elsewhere>"))
    assert row.ticket == ticket and row.outcome == "ticket.replied"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # it was waiting on the client


def test_the_subject_token_threads_a_reply_without_headers(ticket, deliver):
    row = deliver(compose(subject=f"Más datos [{ticket.reference}]", body="Aquí van."))
    assert row.outcome == "ticket.replied" and row.ticket == ticket
    assert row.detail["threaded_by"] == "subject_token"


def test_the_token_of_another_customers_ticket_is_ignored(ticket, deliver, clock):
    other = factories.customer(name="Otra Empresa SL", email="bea@otra-empresa.es")
    theirs = ticket_open(customer=other, contact=factories.contact_user(other),
                         channel=Channel.PORTAL, subject="Lo suyo", body_text="x",
                         category="hosting").ticket
    row = deliver(compose(subject=f"Re: [{theirs.reference}] Lo suyo", body="Intruso."))
    assert row.outcome == "ticket.opened" and row.ticket not in (theirs, ticket)
    assert row.ticket.customer.name == "Cliente Demo SL"
    assert theirs.messages.count() == 1


def test_a_header_match_on_another_customers_ticket_is_ignored(ticket, deliver, clock):
    other = factories.customer(name="Otra Empresa SL", email="bea@otra-empresa.es")
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    row = deliver(reply_to(ack.message_id, sender="bea@otra-empresa.es"))
    assert row.outcome == "ticket.opened" and row.ticket.customer == other
    assert ticket.messages.count() == 1


def test_a_reply_to_a_closed_ticket_within_the_window_reopens_it(ticket, deliver, clock,
                                                                  settings):
    settings.XUALA_REOPEN_DAYS = 14
    ticket_set_status(ticket=ticket, status=Status.CLOSED)
    clock.shift(timedelta(days=13))
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    row = deliver(reply_to(ack.message_id, body="Ha vuelto a pasar."))
    assert row.outcome == "ticket.replied" and row.ticket == ticket
    assert row.detail["reopened"] is True
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.resolved_at is None


def test_a_reply_to_a_closed_ticket_after_the_window_opens_a_linked_new_ticket(
        ticket, deliver, clock, settings):
    settings.XUALA_REOPEN_DAYS = 14
    ticket_set_status(ticket=ticket, status=Status.RESOLVED)
    clock.shift(timedelta(days=15))
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    row = deliver(reply_to(ack.message_id, body="Ha vuelto a pasar.", new_id="<late@c>"))
    assert row.outcome == "ticket.linked"
    new = row.ticket
    assert new != ticket and new.customer == ticket.customer
    assert new.messages.get().message_id == "<late@c>"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED  # the old one stays done
    follows = TicketEvent.objects.get(ticket=new, key="ticket.linked")
    followed = TicketEvent.objects.get(ticket=ticket, key="ticket.linked")
    assert follows.data == {"other": ticket.pk, "other_reference": ticket.reference,
                            "relation": "follows"}
    assert followed.data["other"] == new.pk and followed.data["relation"] == "followed_by"
    assert OutboundEmail.objects.filter(purpose="ticket.ack", ticket=new).exists()


def test_the_reopen_window_is_a_setting(ticket, deliver, clock, settings):
    settings.XUALA_REOPEN_DAYS = 2
    ticket_set_status(ticket=ticket, status=Status.CLOSED)
    clock.shift(timedelta(days=3))
    row = deliver(compose(subject=f"Re: [{ticket.reference}] La web va lenta"))
    assert row.outcome == "ticket.linked"
