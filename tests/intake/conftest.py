"""Fixtures of the mail-intake tests: mail builders, sender checks off, child processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from xuala.intake.models import InboundMessage, InboundStatus

REPO = Path(__file__).resolve().parents[2]
SUPPORT = "asistencia@modo3.net"


@pytest.fixture(autouse=True)
def _sender_checks_off(settings):
    """Tests that are not about sender authentication do not ask the DNS."""
    settings.XUALA_MAIL_AUTH = "off"


@pytest.fixture
def enforcing(settings):
    """Sender checks on, against a DNS server that knows none of the senders' domains."""
    from tests.intake.dnsserver import ZoneServer

    with ZoneServer({}) as server:
        settings.XUALA_MAIL_AUTH = "enforce"
        settings.XUALA_TRUSTED_AUTHSERV_IDS = []
        settings.XUALA_DNS_SERVERS = [server.address]
        yield server


def compose(*, sender: str = "ana@cliente-demo.es", to: str = SUPPORT,
            subject: str = "No carga la web", body: str = "La web da error 500 desde hoy.",
            message_id: str | None = None, headers: dict[str, str] | None = None,
            cc: str | None = None, html: str | None = None) -> bytes:
    """A plain RFC 5322 message as a mail client would write it (LF line ends; smtplib
    sends them as CRLF)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


@pytest.fixture
def deliver():
    """Accept and process one message as a way in does; returns the processed row."""
    def deliver(raw: bytes, *, path: str = "smtp", envelope_from: str | None = None,
                envelope_to: list[str] | None = None) -> InboundMessage:
        from xuala.intake.services import inbound_accept, inbound_process

        if envelope_from is None:
            envelope_from = _header(raw, "From")
        if envelope_to is None:
            envelope_to = [SUPPORT]
        row = inbound_accept(raw=raw, path=path, envelope_from=envelope_from,
                             envelope_to=envelope_to, client_ip="192.0.2.10",
                             helo="mail.example.net")
        return inbound_process(message=row)
    return deliver


def _header(raw: bytes, name: str) -> str:
    for line in raw.split(b"\n"):
        if line.lower().startswith(name.lower().encode() + b":"):
            value = line.split(b":", 1)[1].strip().decode()
            return value.split("<")[-1].rstrip(">") if "<" in value else value
        if not line.strip():
            break
    return ""


# ---------------------------------------------------------------- child processes

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def child_env(tmp_path, transactional_db):
    """Environment for `xuala …` child processes that use this test's database.

    A settings module written for the occasion points them at pytest's test database
    (SQLite file or PostgreSQL), with sender checks off.
    """
    name = connection.settings_dict["NAME"]
    module = tmp_path / "xuala_child_settings.py"
    module.write_text(
        "from tests.settings import *  # noqa\n"
        f"DATABASES['default']['NAME'] = {str(name)!r}\n"
        "XUALA_MAIL_AUTH = 'off'\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala_child_settings",
           "PYTHONPATH": os.pathsep.join(
               [str(tmp_path), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
           "XUALA_MAIL_AUTH": "off", "PYTHONUNBUFFERED": "1"}
    return env


def xuala(*args: str) -> list[str]:
    return [sys.executable, "-m", "xuala", *args]


def wait_for_port(port: int, *, timeout: float = 30.0, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the listener exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout} s")


def wait_processed(*, count: int | None = None, timeout: float = 30.0) -> None:
    """Wait until no row is left "received" (and at least ``count`` rows exist)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = InboundMessage.objects.count()
        waiting = InboundMessage.objects.filter(status=InboundStatus.RECEIVED).count()
        if not waiting and (count is None or rows >= count):
            return
        time.sleep(0.05)
    raise AssertionError("inbound messages are still waiting to be processed")
