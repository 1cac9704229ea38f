"""The SMTP/LMTP listener, spoken to with smtplib: 250 only after the commit, never a relay."""

from __future__ import annotations

import signal
import smtplib
import subprocess

import pytest

from tests.intake.conftest import (
    SUPPORT,
    compose,
    free_port,
    wait_for_port,
    wait_processed,
    xuala,
)
from xuala.desk.models import Ticket
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.smtp import IntakeController, IntakeHandler
from xuala.notify.models import OutboundEmail

HELO = "mx.cliente-demo.es"


def start(*, lmtp: bool = False):
    handler = IntakeHandler(lmtp=lmtp)
    controller = IntakeController(handler, port=free_port())
    controller.start()
    return controller, handler


@pytest.fixture
def listener(transactional_db):
    controller, handler = start()
    yield controller
    controller.stop()
    handler.close()


@pytest.fixture
def lmtp_listener(transactional_db):
    controller, handler = start(lmtp=True)
    yield controller
    controller.stop()
    handler.close()


def mail(**headers_and_body) -> bytes:
    """A message as an MTA relays it: CRLF line ends (smtplib sends bytes unchanged)."""
    return compose(**headers_and_body).replace(b"\n", b"\r\n")


def smtp(controller) -> smtplib.SMTP:
    return smtplib.SMTP(controller.hostname, controller.port, local_hostname=HELO, timeout=30)


def test_it_answers_250_and_the_message_becomes_a_ticket(listener, plan_customer):
    raw = mail(message_id="<smtp-1@cliente-demo.es>")
    with smtp(listener) as client:
        refused = client.sendmail("ana@cliente-demo.es", [SUPPORT], raw)
    assert refused == {}
    # The row exists the moment the 250 is read: it was committed before the answer.
    row = InboundMessage.objects.get(message_key="<smtp-1@cliente-demo.es>")
    assert row.raw_bytes() == raw
    assert row.path == "smtp" and row.envelope_from == "ana@cliente-demo.es"
    assert row.envelope_to == [SUPPORT] and row.client_ip == "127.0.0.1" and row.helo == HELO
    listener.handler.wait_idle()
    row.refresh_from_db()
    assert row.status == InboundStatus.PROCESSED and row.outcome == "ticket.opened"
    assert row.ticket.customer == plan_customer


def test_the_listener_stores_another_message_under_a_reused_message_id_but_not_a_resend(
        listener, plan_customer):
    first = mail(message_id="<smtp-reused@cliente-demo.es>", subject="Uno")
    second = mail(message_id="<smtp-reused@cliente-demo.es>", subject="Dos")
    with smtp(listener) as client:
        for raw in (first, second, first, second):
            assert client.sendmail("ana@cliente-demo.es", [SUPPORT], raw) == {}
    listener.handler.wait_idle()
    rows = list(InboundMessage.objects.order_by("id"))
    assert [r.raw_bytes() for r in rows] == [first, second]
    assert [r.outcome for r in rows] == ["ticket.opened", "ticket.opened"]
    assert rows[1].detail["message_id_reused"] == rows[0].pk
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Dos", "Uno"]
    assert Ticket.objects.get(subject="Dos").events.filter(
        key="mail.message_id_reused").exists()


def test_the_listener_asks_a_client_acknowledged_minutes_before_to_confirm_held_mail(
        enforcing, listener, plan_customer):
    from tests import factories
    from xuala.desk.models import Channel
    from xuala.desk.services import ticket_open

    ticket_open(customer=plan_customer, contact=factories.contact_user(plan_customer),
                channel=Channel.PORTAL, subject="FTP", body_text="No entro", category="hosting")
    first = mail(message_id="<smtp-held-1@cliente-demo.es>", subject="Uno")
    reply = mail(message_id="<smtp-held-2@cliente-demo.es>", subject="Re: Uno",
                 headers={"In-Reply-To": "<smtp-held-1@cliente-demo.es>"})
    other = mail(message_id="<smtp-held-3@cliente-demo.es>", subject="Dos")
    with smtp(listener) as client:
        for raw in (first, reply, other):
            assert client.sendmail("ana@cliente-demo.es", [SUPPORT], raw) == {}
    listener.handler.wait_idle()
    rows = list(InboundMessage.objects.order_by("id"))
    assert [r.outcome for r in rows] == ["auth.held"] * 3
    assert [r.detail["asked"] for r in rows] == [True, False, True]
    asks = OutboundEmail.objects.filter(purpose="intake.confirm_sender").order_by("id")
    assert [rows[0].confirm_token in asks[0].body_text,
            rows[2].confirm_token in asks[1].body_text] == [True, True]
    assert asks.count() == 2


def test_it_is_not_an_open_relay(listener):
    with smtp(listener) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("spammer@example.org", ["victim@example.com"], mail())
    code, _ = refused.value.recipients["victim@example.com"]
    assert code == 550
    assert not InboundMessage.objects.exists()


def test_it_keeps_only_the_recipients_of_the_company_domains(listener, plan_customer):
    with smtp(listener) as client:
        refused = client.sendmail("ana@cliente-demo.es", [SUPPORT, "otro@example.com"],
                                  mail(cc="otro@example.com"))
    assert set(refused) == {"otro@example.com"}
    assert InboundMessage.objects.get().envelope_to == [SUPPORT]


def test_the_same_message_delivered_twice_is_one_ticket(listener, plan_customer):
    raw = mail(message_id="<twice@cliente-demo.es>")
    for _ in range(2):
        with smtp(listener) as client:
            assert client.sendmail("ana@cliente-demo.es", [SUPPORT], raw) == {}
    listener.handler.wait_idle()
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_it_refuses_a_message_over_the_size_limit_with_552(listener, settings):
    settings.XUALA_SMTP_MAX_BYTES = 20_000
    with smtp(listener) as client:
        client.ehlo()
        assert "size" in client.esmtp_features
        client.mail("ana@cliente-demo.es")  # no SIZE declared: caught at DATA
        client.rcpt(SUPPORT)
        code, _ = client.data(mail(body=("x" * 70 + "\n") * 400))
    assert code == 552
    assert not InboundMessage.objects.exists()


def test_it_answers_451_when_the_message_cannot_be_stored_so_the_mta_retries(
        listener, plan_customer, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = str(blocker / "media")  # large mail is written there: it fails
    raw = mail(body=("x" * 70 + "\n") * 9000, message_id="<big@cliente-demo.es>")
    with smtp(listener) as client:
        client.ehlo()
        client.mail("ana@cliente-demo.es")
        client.rcpt(SUPPORT)
        code, text = client.data(raw)
    assert (code, text[:5]) == (451, b"4.3.0")
    assert not InboundMessage.objects.exists()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with smtp(listener) as client:
        assert client.sendmail("ana@cliente-demo.es", [SUPPORT], raw) == {}
    assert InboundMessage.objects.get().raw_bytes() == raw


def test_an_empty_message_is_refused_for_good(listener):
    with smtp(listener) as client:
        client.ehlo()
        client.mail("ana@cliente-demo.es")
        client.rcpt(SUPPORT)
        code, _ = client.data(b"")
    assert code == 554


def test_lmtp_answers_once_per_recipient(lmtp_listener, plan_customer):
    raw = mail(to="asistencia@modo3.net, ventas@modo3.net")
    with smtplib.LMTP(lmtp_listener.hostname, lmtp_listener.port,
                      local_hostname=HELO, timeout=30) as client:
        code, _ = client.ehlo()  # LHLO
        assert code == 250
        client.mail("ana@cliente-demo.es")
        assert client.rcpt(SUPPORT)[0] == 250
        assert client.rcpt("fuera@example.com")[0] == 550
        assert client.rcpt("ventas@modo3.net")[0] == 250
        first = client.data(raw)
        second = client.getreply()  # RFC 2033: one reply per accepted recipient
        assert first[0] == second[0] == 250
        assert client.noop()[0] == 250  # nothing left unread in the conversation
    row = InboundMessage.objects.get()
    assert row.path == "lmtp" and row.envelope_to == [SUPPORT, "ventas@modo3.net"]
    lmtp_listener.handler.wait_idle()
    row.refresh_from_db()
    assert row.outcome == "ticket.opened"


@pytest.mark.real_clock
def test_the_listener_command_serves_until_sigterm(child_env, plan_customer):
    port = free_port()
    proc = subprocess.Popen(xuala("mail", "smtpd", "--listen", f"127.0.0.1:{port}"),
                            env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        wait_for_port(port, proc=proc, timeout=60)
        with smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=30) as client:
            assert client.sendmail("ana@cliente-demo.es", [SUPPORT],
                                   mail(message_id="<child@cliente-demo.es>")) == {}
            assert client.sendmail("curioso@example.org", [SUPPORT],
                                   mail(sender="curioso@example.org")) == {}
        wait_processed(count=2)
        outcomes = set(InboundMessage.objects.values_list("outcome", flat=True))
        assert outcomes == {"ticket.opened", "door.not_client"}
        assert OutboundEmail.objects.filter(to="curioso@example.org").count() == 1
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
        assert f"listening on 127.0.0.1:{port} (SMTP)" in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.real_clock
def test_the_listener_command_speaks_lmtp(child_env, plan_customer):
    port = free_port()
    proc = subprocess.Popen(xuala("mail", "smtpd", "--listen", f"127.0.0.1:{port}", "--lmtp"),
                            env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc=proc, timeout=60)
        with smtplib.LMTP("127.0.0.1", port, local_hostname=HELO, timeout=30) as client:
            assert client.sendmail("ana@cliente-demo.es", [SUPPORT], mail()) == {}
        wait_processed(count=1)
        assert InboundMessage.objects.get().outcome == "ticket.opened"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("arg", [
    "<ana@x.es>", "<ana@x.es> SIZE=100", "<ana@x.es>  BODY=8BITMIME", "<>", "", "ana@x.es",
    "<a..b@x.es>", "<a@x>", " <a@x.es>", "<a@x.es>SIZE=1", "<ana.b+c@sub.x.es> SMTPUTF8",
    "<a@x.es> ", '<"q"@x.es>', "<a@x.es", "<a b@x.es>",
])
def test_plain_paths_are_read_as_aiosmtpd_reads_them(arg):
    """MAIL FROM / RCPT TO paths read directly give what aiosmtpd's own reading gives."""
    from aiosmtpd.smtp import SMTP

    from xuala.intake.smtp import _SMTP

    ours = _SMTP(object(), hostname="x")
    assert ours._getaddr(arg) == SMTP._getaddr(ours, arg)
