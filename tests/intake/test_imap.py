"""The IMAP way in, against a real dovecot on loopback: stored, processed, then flagged."""

from __future__ import annotations

import itertools
import logging
import os
import re
import signal
import subprocess
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.intake.conftest import REPO, compose, xuala
from tests.intake.dnsserver import ZoneServer
from tests.intake.dovecot import Dovecot, DovecotMissing
from xuala.desk.models import Ticket
from xuala.env import ConfigError
from xuala.intake.imap import ImapAccount, WatchStop, imap_poll_once, imap_watch
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.services import inbound_accept

# Starts child processes (or servers in them) that run on the real clock, not under --clock-ahead.
pytestmark = pytest.mark.real_clock

_users = itertools.count(1)


def _start(**options) -> Dovecot:
    try:
        return Dovecot(**options).start()
    except DovecotMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def dovecot():
    server = _start()
    yield server
    server.stop()


@pytest.fixture
def user():
    """A fresh mailbox: every user name gets an empty maildir of its own."""
    return f"desk{os.getpid()}x{next(_users)}"


def append(server: Dovecot, user: str, raw: bytes, *, folder: str = "INBOX",
           flags: tuple[str, ...] = ()) -> None:
    with server.mailbox(user, folder) as box:
        box.append(raw, folder, flag_set=flags or None)


def on_the_wire(raw: bytes) -> bytes:
    """The message as IMAP carries it: CRLF line ends."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def seen_in(server: Dovecot, user: str, folder: str = "INBOX") -> list[bool]:
    """For each message of the folder, whether it is flagged \\Seen."""
    with server.mailbox(user, folder) as box:
        return ["\\Seen" in mail.flags for mail in box.fetch(mark_seen=False)]


def wait_until(condition, *, timeout: float) -> float:
    """Seconds it took ``condition()`` to become true; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not true after {timeout} s")


# --- One poll ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_turns_an_appended_client_message_into_one_ticket_and_flags_it_seen(
        dovecot, user, plan_customer):
    raw = compose(subject="La tienda no carga", message_id="<imap-1@cliente-demo.es>")
    append(dovecot, user, raw)

    assert imap_poll_once(**dovecot.account(user)) == 1

    row = InboundMessage.objects.get()
    assert row.path == "imap"
    assert row.message_id == "<imap-1@cliente-demo.es>"
    assert row.raw_bytes() == on_the_wire(raw)  # the FETCH bytes, not a re-render
    assert row.status == InboundStatus.PROCESSED
    assert row.ticket is not None and row.ticket.customer == plan_customer
    assert Ticket.objects.count() == 1
    assert seen_in(dovecot, user) == [True]


@pytest.mark.django_db
def test_it_does_nothing_on_a_second_poll(dovecot, user, plan_customer):
    append(dovecot, user, compose())
    assert imap_poll_once(**dovecot.account(user)) == 1

    assert imap_poll_once(**dovecot.account(user)) == 0
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_it_leaves_mail_already_seen_alone(dovecot, user, plan_customer):
    append(dovecot, user, compose(), flags=("\\Seen",))
    assert imap_poll_once(**dovecot.account(user)) == 0
    assert not InboundMessage.objects.exists()


@pytest.mark.django_db
def test_it_takes_in_a_message_again_harmlessly_after_a_crash_before_the_flag(
        dovecot, user, plan_customer):
    """Stored and committed, then killed before \\Seen: the next poll finishes the job."""
    raw = compose(message_id="<crash-1@cliente-demo.es>")
    append(dovecot, user, raw)
    stored = inbound_accept(raw=on_the_wire(raw), path="imap")
    assert stored.status == InboundStatus.RECEIVED

    assert imap_poll_once(**dovecot.account(user)) == 1

    row = InboundMessage.objects.get()
    assert row.pk == stored.pk
    assert row.status == InboundStatus.PROCESSED
    assert Ticket.objects.count() == 1
    assert seen_in(dovecot, user) == [True]


@pytest.mark.django_db
def test_it_takes_in_several_messages_in_one_poll(dovecot, user, plan_customer):
    for n in range(3):
        append(dovecot, user, compose(subject=f"Consulta {n}"))
    assert imap_poll_once(**dovecot.account(user)) == 3
    assert InboundMessage.objects.count() == 3
    assert seen_in(dovecot, user) == [True] * 3


@pytest.mark.django_db
def test_it_flags_a_held_message_without_making_a_ticket(dovecot, user, plan_customer, settings):
    """A message claiming a client's address that fails authentication is kept, not acted on."""
    settings.XUALA_MAIL_AUTH = "enforce"
    settings.XUALA_TRUSTED_AUTHSERV_IDS = []
    with ZoneServer({"_dmarc.cliente-demo.es": {"TXT": ["v=DMARC1; p=reject"]}}) as dns:
        settings.XUALA_DNS_SERVERS = [dns.address]
        append(dovecot, user, compose())
        assert imap_poll_once(**dovecot.account(user)) == 1
    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.HELD
    assert not Ticket.objects.exists()
    assert seen_in(dovecot, user) == [True]


@pytest.mark.django_db
def test_it_moves_processed_mail_to_the_processed_folder(dovecot, user, plan_customer, settings):
    settings.XUALA_IMAP_PROCESSED_FOLDER = "Procesados"
    append(dovecot, user, compose())
    assert imap_poll_once(**dovecot.account(user)) == 1
    assert seen_in(dovecot, user) == []
    assert seen_in(dovecot, user, "Procesados") == [True]
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_it_reads_another_folder_when_told(dovecot, user, plan_customer):
    with dovecot.mailbox(user) as box:
        box.folder.create("Soporte")
    append(dovecot, user, compose(), folder="Soporte")
    append(dovecot, user, compose(subject="En la bandeja de entrada"))
    assert imap_poll_once(**dovecot.account(user, folder="Soporte")) == 1
    assert seen_in(dovecot, user) == [False]


# --- Watching ------------------------------------------------------------------------------------


def _watch_in_thread(server: Dovecot, user: str, **options) -> tuple[WatchStop, threading.Thread]:
    stop = WatchStop()
    thread = threading.Thread(target=imap_watch,
                              kwargs={**server.account(user), "stop": stop, **options},
                              daemon=True)
    thread.start()
    return stop, thread


def _stop_watch(stop: WatchStop, thread: threading.Thread) -> float:
    started = time.monotonic()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "imap_watch did not stop"
    stop.close()
    return time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_it_takes_in_new_mail_at_once_while_idling(dovecot, user, plan_customer, caplog):
    stop, thread = _watch_in_thread(dovecot, user, poll_seconds=120)
    try:
        time.sleep(1)  # let it connect and settle in IDLE
        append(dovecot, user, compose(subject="Llega durante el IDLE"))
        # With a 120 s poll interval only IDLE can bring it in this fast.
        wait_until(lambda: Ticket.objects.filter(subject__contains="IDLE").exists(), timeout=10)
    finally:
        took = _stop_watch(stop, thread)
    assert took < 3  # stopping wakes it from IDLE
    assert seen_in(dovecot, user) == [True]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no reconnect


@pytest.mark.django_db(transaction=True)
def test_it_polls_and_moves_on_a_server_without_idle_or_move(plan_customer, settings, caplog):
    settings.XUALA_IMAP_PROCESSED_FOLDER = "Procesados"
    server = _start(imap_capability="IMAP4rev1 LITERAL+ UIDPLUS")
    user = "plainserver"
    with server.mailbox(user) as box:
        advertised = box.client.capability()[1][0].decode()
        assert "IDLE" not in advertised and "MOVE" not in advertised
        box.append(compose(subject="Ya marcado para borrar"), "INBOX", flag_set=["\\Deleted"])
    stop, thread = _watch_in_thread(server, user, poll_seconds=0.5)
    try:
        append(server, user, compose(subject="Sin IDLE"))
        wait_until(lambda: Ticket.objects.filter(subject="Sin IDLE").exists(), timeout=10)
    finally:
        _stop_watch(stop, thread)
    try:
        assert seen_in(server, user, "Procesados") == [True]
        # A message another client marked \Deleted is neither taken in nor expunged by us.
        assert seen_in(server, user) == [False]
        assert not Ticket.objects.filter(subject="Ya marcado para borrar").exists()
    finally:
        server.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.django_db(transaction=True)
def test_it_reconnects_after_the_server_restarts(plan_customer, caplog):
    server = _start()
    user = "restarts"
    stop, thread = _watch_in_thread(server, user, poll_seconds=60)
    try:
        time.sleep(0.5)
        server.stop(keep_files=True)
        time.sleep(0.5)
        server.start()
        append(server, user, compose(subject="Tras el reinicio"))
        wait_until(lambda: Ticket.objects.filter(subject="Tras el reinicio").exists(), timeout=15)
    finally:
        _stop_watch(stop, thread)
        server.stop()
    assert any("reconnecting" in r.getMessage() for r in caplog.records)


def test_it_stops_promptly_while_backing_off_from_a_dead_server():
    server = Dovecot()
    server.port = 1  # nothing listens there
    stop, thread = _watch_in_thread(server, "nobody", poll_seconds=60)
    time.sleep(1.5)
    assert thread.is_alive()  # still trying, not crashed
    assert _stop_watch(stop, thread) < 2


# --- The command ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_polls_once_the_mailbox_in_the_settings(dovecot, user, plan_customer,
                                                            settings, capsys):
    settings.XUALA_IMAP_URL = dovecot.url(user)
    append(dovecot, user, compose())
    call_command("imap", "poll", "--once")
    assert "1 message(s) taken in" in capsys.readouterr().out
    assert Ticket.objects.count() == 1


def test_the_command_refuses_to_run_without_a_mailbox(settings):
    settings.XUALA_IMAP_URL = ""
    with pytest.raises(CommandError, match="XUALA_IMAP_URL is not set"):
        call_command("imap", "poll", "--once")


def test_the_command_reports_a_mailbox_it_cannot_reach(settings):
    settings.XUALA_IMAP_URL = "imap://desk:secret@127.0.0.1:1/INBOX"
    with pytest.raises(CommandError, match=r"IMAP poll of 127\.0\.0\.1:1 failed"):
        call_command("imap", "poll", "--once")


def child_env(tmp_path, *, database_name: str | None = None, **settings_values) -> dict:
    """Environment for a `xuala` child process with these settings over the test settings."""
    lines = ["from tests.settings import *  # noqa"]
    if database_name:
        lines.append(f"DATABASES['default']['NAME'] = {database_name!r}")
    lines += [f"{name} = {value!r}" for name, value in settings_values.items()]
    (tmp_path / "xuala_imap_settings.py").write_text("\n".join(lines) + "\n")
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala_imap_settings",
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}


@pytest.mark.django_db(transaction=True)
def test_the_command_watches_until_sigterm(dovecot, user, plan_customer, tmp_path):
    env = child_env(tmp_path, database_name=str(connection.settings_dict["NAME"]),
                    XUALA_MAIL_AUTH="off", XUALA_IMAP_URL=dovecot.url(user),
                    XUALA_IMAP_POLL_SECONDS=120)
    proc = subprocess.Popen(xuala("imap", "poll"), env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        append(dovecot, user, compose(subject="Por el comando"))
        wait_until(lambda: Ticket.objects.filter(subject="Por el comando").exists(), timeout=20)
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=10)[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    assert "stopped watching" in output
    assert seen_in(dovecot, user) == [True]


def test_it_leaves_a_message_unseen_when_it_cannot_be_stored(dovecot, user, tmp_path):
    """No commit, no flag: with the database unreachable the message waits for the next poll."""
    unreachable = {"ENGINE": "django.db.backends.sqlite3",
                   "NAME": str(tmp_path / "missing-dir" / "xuala.sqlite3")}
    env = child_env(tmp_path, DATABASES={"default": unreachable}, XUALA_MAIL_AUTH="off",
                    XUALA_IMAP_URL=dovecot.url(user))
    append(dovecot, user, compose())
    result = subprocess.run(xuala("imap", "poll", "--once"), env=env, cwd=REPO,
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert b"unable to open database file" in result.stderr
    assert seen_in(dovecot, user) == [False]


# --- The mailbox URL -----------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "expected"), [
    ("imap://desk:secret@127.0.0.1:1143/INBOX",
     ImapAccount("127.0.0.1", 1143, "desk", "secret", "INBOX")),
    ("imaps://asistencia%40modo3.net:p%3Ass@mail.modo3.net",
     ImapAccount("mail.modo3.net", 993, "asistencia@modo3.net", "p:ss", "INBOX", ssl=True)),
    ("imap://u:p@mail.modo3.net/Soporte%20clientes?starttls=1",
     ImapAccount("mail.modo3.net", 143, "u", "p", "Soporte clientes", starttls=True)),
])
def test_it_reads_the_mailbox_url(url, expected):
    assert ImapAccount.from_url(url) == expected


@pytest.mark.parametrize("url", [
    "pop3://u:p@host/INBOX",
    "imap://host/INBOX",
    "imap://u:p@host:99999/INBOX",
    "imaps://u:p@host/INBOX?starttls=1",
])
def test_it_refuses_an_unusable_mailbox_url(url):
    with pytest.raises(ConfigError):
        ImapAccount.from_url(url)
