"""The crash test: the listener is SIGKILLed at random moments while 2,000 messages arrive.

A sender thread pushes 2,000 distinct messages with smtplib, retrying each until it gets a
250 (connection refused or reset, 4xx, a dropped conversation: all retried). Meanwhile the
test SIGKILLs `xuala mail smtpd` at seeded random moments and starts it again. Afterwards
every message is stored exactly once and, once the intake engine has run until quiet, acted
on exactly once: one ticket and one acknowledgement per client message, one answer per
stranger, nothing for automatic mail, nothing left "received".
"""

from __future__ import annotations

import contextlib
import random
import smtplib
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.intake.conftest import SUPPORT, compose, free_port, wait_for_port, xuala
from xuala.desk.models import Message, Ticket
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.services import intake_step
from xuala.notify.models import OutboundEmail

# Starts child processes (or servers in them) that run on the real clock, not under --clock-ahead.
pytestmark = pytest.mark.real_clock

SEED = 4_2026
MESSAGES = 2_000
HELO = "mx.modo3.net"
SENDING_DEADLINE = 150.0  # seconds; the run takes far less, this only stops a hang


def corpus() -> list[tuple[str, str, str, bytes]]:
    """(kind, message id, envelope sender, raw): a client ticket, a stranger, automatic mail."""
    mails = []
    for n in range(MESSAGES):
        message_id = f"<crash-{n}@test.invalid>"
        kind = ("client", "stranger", "auto", "list")[n % 4]
        sender = {"client": "ana@cliente-demo.es",
                  "stranger": f"desconocido-{n}@example.org"}.get(kind, f"bot-{n}@example.net")
        headers = {"auto": {"Auto-Submitted": "auto-replied"},
                   "list": {"Precedence": "bulk"}}.get(kind, {})
        raw = compose(sender=sender, subject=f"Consulta {n}", body=f"Mensaje número {n}.\n",
                      message_id=message_id, headers=headers).replace(b"\n", b"\r\n")
        mails.append((kind, message_id, sender, raw))
    return mails


class Sender(threading.Thread):
    """Delivers every message, retrying each until the listener answers 250."""

    def __init__(self, port: int, mails):
        super().__init__(daemon=True)
        self.port, self.mails = port, mails
        self.acknowledged = 0
        self.retries = 0
        self.stop = threading.Event()

    def run(self) -> None:
        client = None
        for _, _, sender, raw in self.mails:
            while not self.stop.is_set():
                try:
                    if client is None:
                        client = smtplib.SMTP("127.0.0.1", self.port, local_hostname=HELO,
                                              timeout=20)
                    client.sendmail(sender, [SUPPORT], raw)  # raises unless 250
                    self.acknowledged += 1
                    break
                except (smtplib.SMTPException, OSError):
                    self.retries += 1
                    if client is not None:
                        with contextlib.suppress(OSError):
                            client.close()
                        client = None
                    time.sleep(0.02)
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def test_every_message_is_stored_and_acted_on_exactly_once_across_sigkills(
        child_env, plan_customer):
    rng = random.Random(SEED)
    mails = corpus()
    port = free_port()
    argv = xuala("mail", "smtpd", "--listen", f"127.0.0.1:{port}")

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(argv, env=child_env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        wait_for_port(port, proc=proc, timeout=60)
        return proc

    kills = rng.randint(8, 15)
    # Kill when so many messages have been acknowledged, plus a few random milliseconds:
    # the moment lands anywhere (mid-DATA, mid-commit, mid-processing) but every kill happens.
    thresholds = sorted(rng.sample(range(50, MESSAGES - 50), kills))
    server = start()
    sender = Sender(port, mails)
    sender.start()
    started = time.monotonic()
    killed = 0
    try:
        for threshold in thresholds:
            while sender.acknowledged < threshold and sender.is_alive():
                assert time.monotonic() - started < SENDING_DEADLINE, "sending hangs"
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.05))
            server.kill()
            server.wait()
            killed += 1
            server = start()
        sender.join(timeout=max(1.0, SENDING_DEADLINE - (time.monotonic() - started)))
        assert not sender.is_alive(), f"only {sender.acknowledged} messages acknowledged"
    finally:
        sender.stop.set()
        server.kill()
        server.wait()
    assert killed == kills
    assert sender.acknowledged == MESSAGES
    assert sender.retries > 0  # the kills did interrupt deliveries

    # Stored exactly once each.
    ids = {message_id for _, message_id, _, _ in mails}
    keys = list(InboundMessage.objects.values_list("message_key", flat=True))
    assert len(keys) == MESSAGES and set(keys) == ids

    # What the killed listener had not finished, the intake engine does.
    later = timezone.now() + timedelta(hours=2)
    for _ in range(MESSAGES):
        if not intake_step(batch=200, now=later):
            break
    assert not InboundMessage.objects.filter(status=InboundStatus.RECEIVED).exists()

    outcomes = dict(InboundMessage.objects.values_list("message_key", "outcome"))
    expected = {"client": "ticket.opened", "stranger": "door.not_client",
                "auto": "loop.ignored", "list": "loop.ignored"}
    wrong = {mid: outcomes[mid] for kind, mid, _, _ in mails if outcomes[mid] != expected[kind]}
    assert not wrong
    statuses = set(InboundMessage.objects.values_list("status", flat=True))
    assert statuses <= {InboundStatus.PROCESSED, InboundStatus.IGNORED}

    # Acted on exactly once: one ticket, one first message and one acknowledgement per
    # client message; one answer per stranger.
    client_ids = [mid for kind, mid, _, _ in mails if kind == "client"]
    assert Ticket.objects.count() == len(client_ids)
    per_id = Counter(Message.objects.filter(message_id__in=client_ids)
                     .values_list("message_id", flat=True))
    assert set(per_id) == set(client_ids) and set(per_id.values()) == {1}
    assert OutboundEmail.objects.filter(purpose="ticket.ack").count() == len(client_ids)
    answers = Counter(OutboundEmail.objects.filter(purpose="intake.not_client")
                      .values_list("to", flat=True))
    strangers = {sender for kind, _, sender, _ in mails if kind == "stranger"}
    assert set(answers) == strangers and set(answers.values()) == {1}
