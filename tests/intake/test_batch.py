"""The batch path (the SMTP listener's group commit): the same outcomes as one by one.

``inbounds_accept`` stores many messages in one transaction; ``inbounds_process`` claims,
decides and acts on them in one transaction with batched writes. Nothing may differ from
``inbound_accept`` + ``inbound_process`` message by message: idempotency on Message-ID,
held raw when unparseable, threading, the automatic-answer limit, acknowledgements; and
one failing message must not cost the others.
"""

from __future__ import annotations

import smtplib
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests import factories
from tests.intake.conftest import SUPPORT, compose, free_port
from tests.intake.corpus import all_fixtures, fixture_bytes
from xuala.desk import services as desk_services
from xuala.desk.models import Channel, Message, Ticket, TicketEvent
from xuala.desk.services import ticket_open
from xuala.intake import acts, engine
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.services import (
    Incoming,
    UnusableMessage,
    inbound_accept,
    inbound_process,
    inbounds_accept,
    inbounds_process,
    intake_step,
)
from xuala.intake.smtp import IntakeController, IntakeHandler
from xuala.notify.models import OutboundEmail

pytestmark = pytest.mark.django_db

ANA = "ana@cliente-demo.es"


def incoming(raw: bytes, *, sender: str = ANA, to: str = SUPPORT) -> Incoming:
    return Incoming(raw=raw, path="smtp", envelope_from=sender, envelope_to=[to],
                    client_ip="192.0.2.10", helo="mail.example.net")


def batch(*items: Incoming) -> list:
    """Accept and process ``items`` as the listener's batcher does; the rows, reread."""
    results = inbounds_accept(list(items))
    inbounds_process([r for r in results if isinstance(r, InboundMessage)])
    return [r if isinstance(r, Exception) else InboundMessage.objects.get(pk=r.pk)
            for r in results]


def test_a_batch_opens_tickets_and_answers_as_one_by_one_would(plan_customer):
    new = compose(message_id="<b-new@cliente-demo.es>", subject="La web no carga")
    other = compose(message_id="<b-other@cliente-demo.es>", subject="Correo lento")
    stranger = compose(sender="curioso@example.org", message_id="<b-s@example.org>")
    auto = compose(message_id="<b-auto@cliente-demo.es>",
                   headers={"Auto-Submitted": "auto-replied"})
    garbage = fixture_bytes("unparseable_no_headers.eml")
    rows = batch(incoming(new), incoming(other), incoming(new),  # the same Message-ID again
                 incoming(stranger, sender="curioso@example.org"), incoming(auto),
                 incoming(b""), incoming(garbage))
    first, second, again, strange, automatic, empty, kept = rows
    assert again.pk == first.pk  # idempotent within the batch: one row, acted on once
    assert isinstance(empty, UnusableMessage)
    assert [first.outcome, second.outcome, strange.outcome, automatic.outcome] == [
        "ticket.opened", "ticket.opened", "door.not_client", "loop.ignored"]
    assert kept.status == InboundStatus.HELD and kept.outcome == "parse.held"
    assert kept.raw_bytes() == garbage  # malformed: kept raw for an agent, never lost
    assert first.raw_bytes() == new
    assert InboundMessage.objects.count() == 5
    assert Ticket.objects.count() == 2
    for row in (first, second):
        ticket = row.ticket
        assert ticket.customer == plan_customer and ticket.channel == Channel.EMAIL
        assert Message.objects.get(ticket=ticket).message_id == row.message_id
        keys = list(TicketEvent.objects.filter(ticket=ticket).values_list("key", flat=True))
        assert keys[0] == "ticket.opened" and keys[1].startswith("triage.")
        assert "ticket.acknowledged" in keys
        ack = OutboundEmail.objects.get(ticket=ticket, purpose="ticket.ack")
        assert ack.to == ANA and ticket.reference in ack.subject
        assert ack.in_reply_to == row.message_id and ack.auto_submitted
        assert ticket.due_at is not None and ticket.sla_next_at is not None
    assert OutboundEmail.objects.filter(to="curioso@example.org",
                                        purpose="intake.not_client").count() == 1
    assert OutboundEmail.objects.count() == 3


def test_a_message_that_cannot_be_parsed_is_kept_raw_and_held_in_a_batch(plan_customer,
                                                                         monkeypatch):
    def refuse(raw, **kwargs):
        if b"<b-bad@" in raw:
            raise engine.UnparseableMail("nothing to read")
        return parse(raw, **kwargs)

    parse = engine.parse_message
    monkeypatch.setattr(engine, "parse_message", refuse)
    bad = compose(message_id="<b-bad@cliente-demo.es>")
    good = compose(message_id="<b-good@cliente-demo.es>")
    held, done = batch(incoming(bad), incoming(good))
    assert held.status == InboundStatus.HELD and held.outcome == "parse.held"
    assert held.raw_bytes() == bad and "nothing to read" in held.error
    assert done.outcome == "ticket.opened"


def test_a_batch_of_the_whole_corpus_ends_as_one_by_one_does(plan_customer, hosting_customer,
                                                             lapsed_customer):
    """Every fixture, each outcome the same whether processed alone or in one batch."""
    factories.customer(name="Acme Ltd", email="oliver@acme.co.uk", language="en")
    ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                channel=Channel.PORTAL, subject="FTP", body_text="No entro", category="hosting")
    names = [n for n in all_fixtures() if n != "unparseable_empty.eml"]
    outcomes = {}
    first_id = max(_next_ticket_id(), 100_000)  # past every "[#n]" token of the fixtures
    for way in ("alone", "batch"):
        with transaction.atomic():
            _next_ticket_id(first_id)  # both ways number their tickets alike
            if way == "alone":
                rows = [inbound_process(message=inbound_accept(raw=fixture_bytes(n),
                                                               path="imap")) for n in names]
            else:
                accepted = inbounds_accept([Incoming(raw=fixture_bytes(n), path="imap")
                                            for n in names])
                inbounds_process(accepted)
                rows = [InboundMessage.objects.get(pk=r.pk) for r in accepted]
            outcomes[way] = {
                "rows": [(r.status, r.outcome, r.ticket_id is not None) for r in rows],
                "tickets": Ticket.objects.count(),
                "mail": sorted(OutboundEmail.objects.values_list("to", "purpose")),
                "events": sorted(TicketEvent.objects.values_list("key", flat=True)),
            }
            transaction.set_rollback(True)
    assert outcomes["batch"] == outcomes["alone"]
    assert len({status for status, _, _ in outcomes["batch"]["rows"]}) > 1


def _next_ticket_id(rewind_to: int | None = None) -> int:
    """The id the next ticket gets; with ``rewind_to``, make it that one. PostgreSQL's
    sequences are not rolled back with the transaction (SQLite's counter is), so without
    this the second way would number its tickets after the first's, and a fixture's
    "[#42]" would name a ticket in one way and not in the other."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        sequence = f"pg_get_serial_sequence('{Ticket._meta.db_table}', 'id')"
        if rewind_to is not None:
            cursor.execute(f"SELECT setval({sequence}, %s, false)", [rewind_to])
            return rewind_to
        cursor.execute(f"SELECT nextval({sequence})")
        return cursor.fetchone()[0]


def test_a_reply_to_a_message_of_the_same_batch_joins_its_ticket(plan_customer):
    request = compose(message_id="<b-req@cliente-demo.es>", subject="No funciona el FTP")
    reply = compose(message_id="<b-rep@cliente-demo.es>", subject="Re: No funciona el FTP",
                    body="Sigue igual.", headers={"In-Reply-To": "<b-req@cliente-demo.es>",
                                                  "References": "<b-req@cliente-demo.es>"})
    opened, replied = batch(incoming(request), incoming(reply))
    assert opened.outcome == "ticket.opened"
    assert replied.outcome == "ticket.replied" and replied.ticket_id == opened.ticket_id
    assert Message.objects.filter(ticket=opened.ticket).count() == 2


def test_two_messages_on_one_ticket_in_a_batch_act_in_order(plan_customer):
    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="FTP", body_text="No entro").ticket
    desk_services.ticket_set_status(ticket=ticket, status="resolved")
    first = compose(message_id="<b-r1@cliente-demo.es>", subject=f"Re: [{ticket.reference}] FTP")
    second = compose(message_id="<b-r2@cliente-demo.es>", subject=f"Re: [{ticket.reference}] FTP")
    one, two = batch(incoming(first), incoming(second))
    assert one.ticket_id == two.ticket_id == ticket.pk
    assert one.detail["reopened"] is True
    assert two.detail["reopened"] is False  # the first had already reopened it
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_one_automatic_answer_per_sender_within_a_batch(plan_customer):
    stranger = "curioso@example.org"
    rows = batch(*(incoming(compose(sender=stranger, message_id=f"<b-x{n}@example.org>"),
                            sender=stranger) for n in range(3)))
    assert [r.outcome for r in rows] == ["door.not_client"] * 3
    assert [r.detail["answered"] for r in rows] == [True, False, False]
    assert OutboundEmail.objects.filter(to=stranger).count() == 1


def test_an_acknowledgement_in_the_batch_counts_for_the_answer_limit(plan_customer):
    """A client's new request and its mail to sales@ in one batch: the acknowledgement is
    the one automatic answer of the period, as when they come one by one."""
    request = compose(message_id="<b-ack@cliente-demo.es>")
    sales = compose(message_id="<b-sales@cliente-demo.es>", to="ventas@modo3.net")
    opened, wrong = batch(incoming(request), incoming(sales, to="ventas@modo3.net"))
    assert opened.outcome == "ticket.opened"
    assert wrong.outcome == "door.wrong_channel" and wrong.detail["answered"] is False
    assert list(OutboundEmail.objects.values_list("purpose", flat=True)) == ["ticket.ack"]


def test_a_message_whose_processing_raises_does_not_cost_the_others(plan_customer,
                                                                    monkeypatch):
    """The group is rolled back and done one by one: the others commit, the failing one
    stays stored raw, "received", with its error, and the intake engine takes it later."""
    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="FTP", body_text="No entro").ticket
    real = acts.ticket_client_message

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(acts, "ticket_client_message", broken)
    before = compose(message_id="<b-1@cliente-demo.es>", subject="Primera")
    reply = compose(message_id="<b-2@cliente-demo.es>", subject=f"Re: [{ticket.reference}] FTP")
    after = compose(message_id="<b-3@cliente-demo.es>", subject="Tercera")
    first, failed, third = batch(incoming(before), incoming(reply), incoming(after))
    assert first.outcome == third.outcome == "ticket.opened"
    assert failed.status == InboundStatus.RECEIVED and "the disk is full" in failed.error
    assert failed.raw_bytes() == reply and failed.attempts == 1
    assert Ticket.objects.count() == 3
    assert OutboundEmail.objects.filter(purpose="ticket.ack").count() == 3  # one per ticket

    monkeypatch.setattr(acts, "ticket_client_message", real)
    assert intake_step(now=timezone.now() + timedelta(hours=1)) == 1
    failed.refresh_from_db()
    assert failed.outcome == "ticket.replied" and failed.ticket_id == ticket.pk


def test_a_failing_decision_is_recorded_and_the_rest_of_the_batch_goes_on(plan_customer,
                                                                        monkeypatch):
    decide = engine.decide

    def flaky(mail):
        if mail.parsed.message_id == "<b-boom@cliente-demo.es>":
            raise ConnectionError("DNS went away")
        return decide(mail)

    monkeypatch.setattr(engine, "decide", flaky)
    boom, fine = batch(incoming(compose(message_id="<b-boom@cliente-demo.es>")),
                       incoming(compose(message_id="<b-fine@cliente-demo.es>")))
    assert boom.status == InboundStatus.RECEIVED and "DNS went away" in boom.error
    assert fine.outcome == "ticket.opened"


def test_the_listener_answers_every_session_once_their_batch_is_committed(transactional_db,
                                                                         plan_customer):
    handler = IntakeHandler()
    controller = IntakeController(handler, port=free_port())
    controller.start()
    try:
        raws = [compose(message_id=f"<b-smtp-{n}@cliente-demo.es>", subject=f"Consulta {n}")
                .replace(b"\n", b"\r\n") for n in range(12)]
        raws.append(raws[0])  # a second delivery of the first, maybe in the same batch
        answers: list = []

        def send(raw: bytes) -> None:
            with smtplib.SMTP(controller.hostname, controller.port, timeout=30) as client:
                answers.append(client.sendmail(ANA, [SUPPORT], raw))

        threads = [threading.Thread(target=send, args=(raw,)) for raw in raws]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert answers == [{}] * len(raws)
        # Answered after the commit: every ticket is there the moment the last 250 is read.
        assert InboundMessage.objects.count() == 12
        assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {
            "ticket.opened"}
        assert Ticket.objects.count() == 12
        assert OutboundEmail.objects.filter(purpose="ticket.ack").count() == 12
    finally:
        controller.stop()
        handler.close()


def test_a_message_whose_raw_bytes_cannot_be_read_does_not_stop_the_batch(plan_customer,
                                                                        monkeypatch):
    read = engine._parse

    def failing(row, pending=None):
        if row.message_id == "<b-gone@cliente-demo.es>":
            raise FileNotFoundError("inbound/ab/abcdef.eml")
        return read(row, pending)

    monkeypatch.setattr(engine, "_parse", failing)
    gone, fine = batch(incoming(compose(message_id="<b-gone@cliente-demo.es>")),
                       incoming(compose(message_id="<b-read@cliente-demo.es>")))
    assert gone.status == InboundStatus.RECEIVED and "FileNotFoundError" in gone.error
    assert fine.outcome == "ticket.opened"
