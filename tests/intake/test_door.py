"""The policy at the door: who gets a ticket, who gets which answer, and who gets none."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from tests import factories
from tests.intake.conftest import SUPPORT, compose
from tests.intake.corpus import all_fixtures, fixture_bytes, fixtures_tagged
from xuala.desk.models import Channel, Status, Ticket, TicketEvent, TriageState
from xuala.desk.services import ticket_open
from xuala.intake.models import InboundStatus
from xuala.intake.selectors import inbound_for_confirmation, inbound_preview
from xuala.intake.services import (
    CONFIRM_REQUESTS_PER_HOUR,
    UnusableMessage,
    inbound_accept,
    inbound_confirm,
    inbound_process,
    inbound_reject,
)
from xuala.notify.models import OutboundEmail

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MADRID)
SATURDAY_11 = datetime(2026, 11, 28, 11, 0, tzinfo=MADRID)
STRANGER = "curioso@example.org"


@pytest.fixture
def open_hours():
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


def answers_to(address: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to=address).order_by("created_at", "id"))


# ---------------------------------------------------------------- clients

def test_a_client_writing_to_the_support_address_gets_a_ticket_and_its_acknowledgement(
        plan_customer, deliver, open_hours):
    raw = compose(subject="Error 500 en la tienda", body="Desde esta mañana la tienda falla.",
                  message_id="<c1@cliente-demo.es>")
    row = deliver(raw)
    assert row.status == InboundStatus.PROCESSED and row.outcome == "ticket.opened"
    ticket = row.ticket
    assert ticket.customer == plan_customer and ticket.channel == Channel.EMAIL
    assert ticket.subject == "Error 500 en la tienda"
    first = ticket.messages.get()
    assert first.message_id == "<c1@cliente-demo.es>"
    assert "Desde esta mañana la tienda falla." in first.body_text
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    assert ack.to == "ana@cliente-demo.es" and ack.auto_submitted
    assert ack.subject.startswith(f"[{ticket.reference}]")
    assert f"hemos abierto el ticket {ticket.reference}" in ack.body_text
    assert "fuera de nuestro horario" not in ack.body_text


def test_out_of_hours_the_acknowledgement_says_when_it_will_be_attended(plan_customer, deliver):
    with time_machine.travel(SATURDAY_11, tick=False):
        row = deliver(compose(subject="Duda sobre el correo", body="No me llegan correos."))
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=row.ticket)
    assert "fuera de nuestro horario de atención" in ack.body_text
    assert "lunes 30 noviembre 2026, 09:00" in ack.body_text


def test_a_request_for_a_call_becomes_a_meeting_request(hosting_customer, deliver):
    row = deliver(compose(sender="luis@sinplan-demo.es", subject="Ayuda con la web",
                          body="Por favor, llamadme por teléfono, es más fácil."))
    ticket = row.ticket
    assert ticket.triage_rule == "meeting" and ticket.triage_decision == "meeting"
    # The learned triage is sure of it: the meeting (§4) is applied at once, no agent needed.
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.status == Status.MEETING
    from xuala.meetings.models import MeetingRequest

    assert MeetingRequest.objects.filter(ticket=ticket).exists()


def test_a_mail_in_html_only_is_triaged_on_its_text_not_on_its_subject(hosting_customer,
                                                                         deliver):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "luis@sinplan-demo.es", SUPPORT, "Consulta"
    msg["Message-ID"] = "<html-only@sinplan-demo.es>"
    msg.set_content("<html><body><p>Por favor, <b>llamadme por tel&eacute;fono</b>, es m&aacute;s"
                    " f&aacute;cil.</p></body></html>", subtype="html")
    row = deliver(msg.as_bytes())
    ticket = row.ticket
    assert ticket.triage_rule == "meeting" and ticket.status == Status.MEETING
    first = ticket.messages.order_by("pk").first()
    assert "llamadme por teléfono" in first.body_text  # the text the triage read


def test_a_client_mail_with_an_attachment_keeps_it_on_the_ticket(plan_customer, deliver):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ana@cliente-demo.es", SUPPORT, "Captura"
    msg["Message-ID"] = "<att@cliente-demo.es>"
    msg.set_content("Adjunto la captura del error.")
    msg.add_attachment(b"\x89PNG fake image", maintype="image", subtype="png",
                       filename="captura.png")
    row = deliver(msg.as_bytes())
    attachment = row.ticket.messages.get().attachments.get()
    assert attachment.filename == "captura.png" and attachment.size == len(b"\x89PNG fake image")


# ---------------------------------------------------------------- strangers and wrong channels

def test_a_stranger_gets_the_courteous_clause_6_answer_and_no_ticket(deliver, db):
    row = deliver(compose(sender=STRANGER, subject="¿Me ayudan con mi web?",
                          message_id="<s1@example.org>"))
    assert row.outcome == "door.not_client" and row.status == InboundStatus.PROCESSED
    assert row.ticket is None and not Ticket.objects.exists()
    [answer] = answers_to(STRANGER)
    assert answer.auto_submitted and answer.in_reply_to == "<s1@example.org>"
    assert answer.purpose == "intake.not_client"
    assert "Nuestra asistencia técnica es para clientes" in answer.body_text
    assert "cláusula 6" in answer.body_text
    assert "Our technical support is for clients" in answer.body_text  # and in English
    assert answer.subject == "Re: ¿Me ayudan con mi web?"


def test_a_contact_without_an_active_service_gets_the_clause_6_answer(lapsed_customer, deliver):
    row = deliver(compose(sender="eva@antiguo.es", subject="Mi web no va"))
    assert row.outcome == "door.not_client" and row.detail["reason"] == "no_active_service"
    assert not Ticket.objects.exists()
    assert "cláusula 6" in answers_to("eva@antiguo.es")[0].body_text


def test_mail_to_another_company_address_gets_the_two_channels_and_no_ticket(
        plan_customer, deliver):
    row = deliver(compose(to="ventas@modo3.net", subject="Error en la web"),
                  envelope_to=["ventas@modo3.net"])
    assert row.outcome == "door.wrong_channel" and row.ticket is None
    assert not Ticket.objects.exists()
    [answer] = answers_to("ana@cliente-demo.es")
    assert answer.purpose == "intake.wrong_channel" and answer.auto_submitted
    assert "ventas@modo3.net no atiende solicitudes de asistencia técnica" in answer.body_text
    assert f"{settings.XUALA_PUBLIC_URL}/portal/" in answer.body_text  # the client area
    assert "un correo electrónico a asistencia@modo3.net" in answer.body_text
    assert "cláusula 3" in answer.body_text
    assert f"{settings.XUALA_PUBLIC_URL}/en/portal/" in answer.body_text  # the English half


def test_the_support_address_among_the_recipients_wins(plan_customer, deliver):
    row = deliver(compose(to="ventas@modo3.net", cc=SUPPORT),
                  envelope_to=["ventas@modo3.net", SUPPORT])
    assert row.outcome == "ticket.opened"


def test_without_an_envelope_the_headers_say_where_it_was_sent(plan_customer, deliver):
    forwarded = compose(to="info@modo3.net", headers={"Delivered-To": "info@modo3.net"})
    assert deliver(forwarded, path="imap", envelope_to=[]).outcome == "door.wrong_channel"
    bcc = compose(to="amigo@example.net", message_id="<bcc@cliente-demo.es>")
    assert deliver(bcc, path="imap", envelope_to=[]).outcome == "ticket.opened"


# ---------------------------------------------------------------- loops (RFC 3834)

@pytest.mark.parametrize(("sender", "headers", "reason"), [
    (STRANGER, {"Auto-Submitted": "auto-replied"}, "auto_submitted"),
    (STRANGER, {"Precedence": "bulk"}, "precedence"),
    (STRANGER, {"Precedence": "list", "List-Id": "<noticias.example.org>"}, "precedence"),
    ("MAILER-DAEMON@mx.example.org", {}, "mailer_daemon"),
])
def test_automatic_mail_is_never_answered(sender, headers, reason, deliver, db):
    row = deliver(compose(sender=sender, headers=headers))
    assert row.status == InboundStatus.IGNORED and row.outcome == "loop.ignored"
    assert row.detail["reason"] == reason
    assert not OutboundEmail.objects.exists() and not Ticket.objects.exists()


def test_an_out_of_office_reply_from_a_client_opens_nothing(plan_customer, deliver):
    row = deliver(compose(subject="Fuera de la oficina", headers={
        "Auto-Submitted": "auto-replied"}))
    assert row.outcome == "loop.ignored"
    assert not Ticket.objects.exists() and not OutboundEmail.objects.exists()


def test_mail_with_a_null_envelope_sender_is_never_answered(deliver, db):
    row = deliver(compose(sender=STRANGER), envelope_from="")
    assert row.outcome == "loop.ignored" and row.detail["reason"] == "null_sender"
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("sender", [SUPPORT, "juan@modo3.net", "Asistencia@Modo3.net"])
def test_mail_from_our_own_addresses_is_never_answered(sender, deliver, db):
    row = deliver(compose(sender=sender))
    assert row.status == InboundStatus.IGNORED and row.outcome == "loop.own_domain"
    assert not OutboundEmail.objects.exists()


def test_a_second_automatic_answer_to_the_same_sender_within_the_period_is_suppressed(
        deliver, db, settings):
    settings.XUALA_AUTOREPLY_PERIOD_MINUTES = 60
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as clock:
        first = deliver(compose(sender=STRANGER, subject="uno"))
        clock.shift(timedelta(minutes=30))
        second = deliver(compose(sender=STRANGER, subject="dos"))
        clock.shift(timedelta(minutes=31))
        third = deliver(compose(sender=STRANGER, subject="tres"))
    assert first.detail["answered"] is True
    assert second.outcome == "door.not_client" and second.detail["answered"] is False
    assert third.detail["answered"] is True
    assert [a.subject for a in answers_to(STRANGER)] == ["Re: uno", "Re: tres"]


def test_the_acknowledgement_of_a_ticket_counts_as_the_automatic_answer_of_the_period(
        plan_customer, deliver, open_hours):
    deliver(compose(subject="Primera"))
    wrong = deliver(compose(to="ventas@modo3.net", subject="Segunda"),
                    envelope_to=["ventas@modo3.net"])
    assert wrong.outcome == "door.wrong_channel" and wrong.detail["answered"] is False
    assert [a.purpose for a in answers_to("ana@cliente-demo.es")] == ["ticket.ack"]


# ---------------------------------------------------------------- the sender

def test_a_client_message_without_from_is_theirs_by_reply_to_and_says_so(plan_customer, deliver):
    raw = compose(subject="Sin remitente").replace(
        b"From: ana@cliente-demo.es\n", b"Reply-To: Ana <ana@cliente-demo.es>\n")
    row = deliver(raw, envelope_from="ana@cliente-demo.es")
    assert row.outcome == "ticket.opened" and row.detail["sender_header"] == "reply-to"
    assert row.ticket.customer == plan_customer


def test_the_door_authenticates_the_fallback_sender_too(plan_customer, deliver, enforcing):
    raw = compose(subject="Sin remitente").replace(
        b"From: ana@cliente-demo.es\n", b"Sender: ana@cliente-demo.es\n")
    row = deliver(raw, envelope_from="ana@cliente-demo.es")
    assert row.outcome == "auth.held" and row.detail["sender_header"] == "sender"
    assert not Ticket.objects.exists()


def test_an_encoded_word_in_the_senders_address_is_no_sender(plan_customer, deliver):
    raw = compose(subject="Hola").replace(b"From: ana@cliente-demo.es\n",
                                          b"From: =?utf-8?Q?ana?=@cliente-demo.es\n")
    row = deliver(raw, envelope_from="ana@cliente-demo.es")
    assert row.status == InboundStatus.HELD and row.outcome == "parse.no_sender"
    assert not Ticket.objects.exists()


def test_a_ticket_opened_by_mail_never_carries_line_breaks_in_its_subject(plan_customer,
                                                                          deliver):
    raw = compose(subject="x").replace(
        b"Subject: x\n", b"Subject: =?utf-8?Q?Web_ca=C3=ADda=0D=0ABcc:_a@b.es=E2=80=A8ya?=\n")
    ticket = deliver(raw).ticket
    assert ticket.subject == "Web caída Bcc: a@b.es ya"
    assert not any(ch in ticket.subject for ch in "\r\n\u2028")


# ---------------------------------------------------------------- delivery-status notifications

def dsn(*, original_id: str, recipient: str = "ana@cliente-demo.es",
        action: str = "failed") -> bytes:
    boundary = "dsn-boundary"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.cliente-demo.es>\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.cliente-demo.es>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.cliente-demo.es\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SUPPORT}\r\nTo: {recipient}\r\nSubject: [#1] Recibido\r\n"
        f"Message-ID: {original_id}\r\n"
        f"\r\n--{boundary}--\r\n"
    ).encode()


def test_a_bounce_of_our_mail_is_recorded_on_its_ticket_and_opens_nothing(
        plan_customer, deliver):
    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="FTP", body_text="No entro",
                         category="hosting").ticket
    ack = OutboundEmail.objects.get(purpose="ticket.ack", ticket=ticket)
    row = deliver(dsn(original_id=ack.message_id), envelope_from="")
    assert row.status == InboundStatus.PROCESSED and row.outcome == "dsn.recorded"
    assert row.ticket == ticket
    event = TicketEvent.objects.get(ticket=ticket, key="mail.bounced")
    assert event.data["status"] == "5.1.1" and event.data["outbound"] == ack.pk
    ack.refresh_from_db()
    assert "5.1.1" in ack.last_error
    assert Ticket.objects.count() == 1
    assert OutboundEmail.objects.count() == 1  # nobody answers a bounce


def test_a_bounce_of_mail_we_do_not_know_is_ignored(deliver, db):
    row = deliver(dsn(original_id="<not-ours@example.org>"), envelope_from="")
    assert row.status == InboundStatus.IGNORED and row.outcome == "dsn.unmatched"
    assert not OutboundEmail.objects.exists() and not Ticket.objects.exists()


# ---------------------------------------------------------------- unauthenticated senders

def test_an_unauthenticated_message_in_a_clients_name_is_held_and_the_client_asked(
        plan_customer, deliver, enforcing):
    row = deliver(compose(subject="Borrad mi web", message_id="<forged@cliente-demo.es>"))
    assert row.status == InboundStatus.HELD and row.outcome == "auth.held"
    assert not Ticket.objects.exists()  # it did not act as the client
    assert row.detail["auth"]["method"] == "none"
    ana = factories.contact_user(plan_customer)
    assert row.claimed_user == ana and row.confirm_token
    [ask] = answers_to("ana@cliente-demo.es")
    assert ask.purpose == "intake.confirm_sender" and ask.auto_submitted
    assert f"{settings.XUALA_PUBLIC_URL}/portal/mail/confirm/{row.confirm_token}/" in ask.body_text
    assert "«Borrad mi web»" in ask.body_text


def test_the_client_confirming_a_held_message_turns_it_into_their_ticket(
        plan_customer, deliver, enforcing):
    row = deliver(compose(subject="Mi web", message_id="<held@cliente-demo.es>"))
    ana = factories.contact_user(plan_customer)
    other = factories.contact_user(factories.customer(name="Otra", email="bea@otra.es"))
    assert inbound_for_confirmation(token=row.confirm_token, user=other) is None
    held = inbound_for_confirmation(token=row.confirm_token, user=ana)
    assert inbound_preview(message=held) == "La web da error 500 desde hoy."
    done = inbound_confirm(message=held, user=ana)
    assert done.status == InboundStatus.PROCESSED and done.outcome == "ticket.opened"
    assert done.sender_confirmed_at is not None
    assert done.ticket.messages.get().message_id == "<held@cliente-demo.es>"
    assert inbound_for_confirmation(token=row.confirm_token, user=ana) is None


def test_a_held_message_the_client_did_not_send_is_never_acted_upon(
        plan_customer, deliver, enforcing):
    row = deliver(compose(subject="Cambiad la contraseña"))
    ana = factories.contact_user(plan_customer)
    rejected = inbound_reject(message=inbound_for_confirmation(token=row.confirm_token, user=ana),
                              user=ana)
    assert rejected.status == InboundStatus.IGNORED and rejected.outcome == "auth.rejected"
    assert not Ticket.objects.exists()


def confirm_requests(address: str = "ana@cliente-demo.es") -> list[OutboundEmail]:
    return [m for m in answers_to(address) if m.purpose == "intake.confirm_sender"]


def test_a_client_acknowledged_minutes_before_is_still_asked_to_confirm_held_mail(
        plan_customer, deliver, enforcing, open_hours):
    ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                channel=Channel.PORTAL, subject="FTP", body_text="No entro", category="hosting")
    assert [a.purpose for a in answers_to("ana@cliente-demo.es")] == ["ticket.ack"]
    open_hours.shift(timedelta(minutes=5))
    row = deliver(compose(subject="Borrad mi web", message_id="<held-after-ack@cliente-demo.es>"))
    assert row.outcome == "auth.held" and row.detail["asked"] is True
    [ask] = confirm_requests()
    assert row.confirm_token in ask.body_text


def test_one_confirmation_request_per_held_message_or_thread(plan_customer, deliver, enforcing,
                                                             open_hours):
    first = deliver(compose(subject="Uno", message_id="<held-1@cliente-demo.es>"))
    open_hours.shift(timedelta(minutes=1))
    same_thread = deliver(compose(subject="Re: Uno", message_id="<held-2@cliente-demo.es>",
                                  headers={"In-Reply-To": "<held-1@cliente-demo.es>"}))
    open_hours.shift(timedelta(minutes=1))
    other = deliver(compose(subject="Dos", message_id="<held-3@cliente-demo.es>"))
    assert [r.detail["asked"] for r in (first, same_thread, other)] == [True, False, True]
    assert same_thread.detail["not_asked"] == "thread_asked"
    asks = confirm_requests()
    assert len(asks) == 2
    assert first.confirm_token in asks[0].body_text and other.confirm_token in asks[1].body_text
    assert all(r.status == InboundStatus.HELD for r in (first, same_thread, other))


def test_forged_mail_cannot_flood_a_client_with_confirmation_requests(
        plan_customer, deliver, enforcing, open_hours):
    rows = [deliver(compose(subject=f"Falso {n}")) for n in range(CONFIRM_REQUESTS_PER_HOUR + 2)]
    assert len(confirm_requests()) == CONFIRM_REQUESTS_PER_HOUR
    assert rows[-1].detail["not_asked"] == "flood_limit"
    open_hours.shift(timedelta(minutes=61))
    assert deliver(compose(subject="Otra hora")).detail["asked"] is True


def test_a_stranger_is_answered_without_asking_the_dns(deliver, enforcing, db):
    row = deliver(compose(sender=STRANGER))
    assert row.outcome == "door.not_client"
    assert enforcing.queries == []


# ---------------------------------------------------------------- the corpus at the door

@pytest.fixture
def known_parties(plan_customer, hosting_customer, lapsed_customer):
    """The corpus's clients, and the desk mail its replies and bounces point at."""
    factories.customer(name="Acme Ltd", email="oliver@acme.co.uk", language="en")
    ticket = ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="FTP", body_text="No entro",
                         category="hosting").ticket
    for message_id in ("<abc123@modo3.net>", "<7f3c9e2a1b@modo3.net>",
                       "<d41d8cd98f@modo3.net>", "<e5f6a7b8c9@modo3.net>"):
        OutboundEmail.objects.create(to="ana@cliente-demo.es", subject=f"[{ticket.reference}]",
                                     body_text="…", purpose="ticket.reply", ticket=ticket,
                                     message_id=message_id)
    return ticket


def from_the_mailbox(name: str):
    """A corpus message as the IMAP poller hands it over: no envelope, headers decide."""
    return inbound_process(message=inbound_accept(raw=fixture_bytes(name), path="imap"))


@pytest.mark.parametrize("name", [n for n in all_fixtures() if n != "unparseable_empty.eml"])
def test_every_corpus_message_ends_processed_held_or_ignored(name, known_parties):
    row = from_the_mailbox(name)
    assert row.status in (InboundStatus.PROCESSED, InboundStatus.HELD, InboundStatus.IGNORED)
    assert row.outcome


def test_an_empty_file_is_refused_before_it_is_stored(db):
    with pytest.raises(UnusableMessage):
        inbound_accept(raw=fixture_bytes("unparseable_empty.eml"), path="imap")


@pytest.mark.parametrize(("tag", "outcome"), [
    ("bounce", "dsn.recorded"),
    ("auto-reply", "loop.ignored"),
    ("list", "loop.ignored"),
    ("wrong-channel", "door.wrong_channel"),
    ("unparseable", "parse.held"),
])
def test_each_family_of_the_corpus_gets_its_outcome(tag, outcome, known_parties):
    names = [n for n in fixtures_tagged(tag) if n != "unparseable_empty.eml"]
    assert names
    outcomes = {name: from_the_mailbox(name).outcome for name in names}
    assert outcomes == dict.fromkeys(names, outcome)
    if tag == "bounce":
        assert not Ticket.objects.exclude(pk=known_parties.pk).exists()
        keys = set(TicketEvent.objects.filter(ticket=known_parties, key__startswith="mail.")
                   .values_list("key", flat=True))
        assert keys == {"mail.bounced", "mail.delayed"}


@pytest.mark.parametrize(("name", "outcome"), [
    ("gmail_es_new_request.eml", "ticket.opened"),
    ("call_request_es.eml", "ticket.opened"),
    ("outlook_en_new_request.eml", "ticket.opened"),
    ("applemail_es_reply.eml", "ticket.replied"),
    ("ios_es_reply.eml", "ticket.replied"),
    ("nonclient_gmail_new.eml", "door.not_client"),
    ("lapsed_client_new.eml", "door.not_client"),
    # No From: the sender is read from Return-Path, a stranger's address.
    ("malformed_missing_from.eml", "door.not_client"),
])
def test_corpus_messages_from_clients_and_strangers(name, outcome, known_parties):
    assert from_the_mailbox(name).outcome == outcome


def test_the_spoofed_corpus_message_is_held_on_the_word_of_our_own_mta(
        known_parties, settings):
    settings.XUALA_MAIL_AUTH = "enforce"
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    spoofed = from_the_mailbox("spoofed_client_dmarc_fail.eml")
    assert spoofed.status == InboundStatus.HELD and spoofed.outcome == "auth.held"
    assert spoofed.detail["auth"]["method"] == "trusted-ar"
    genuine = from_the_mailbox("gmail_es_new_request.eml")
    assert genuine.outcome == "ticket.opened"
