"""The listener's parser process: the same parse as in the batcher, and nothing depends on it."""

from __future__ import annotations

import os
import signal
import smtplib
import threading
import time

import pytest

from tests.intake.conftest import SUPPORT, compose, free_port
from tests.intake.corpus import all_fixtures, fixture_bytes
from xuala.desk.models import Ticket
from xuala.intake import parser_process
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.parse import UnparseableMail, parse_message
from xuala.intake.parser_process import ParserGone, ParserProcess
from xuala.intake.smtp import IntakeController, IntakeHandler

# Starts child processes (or servers in them) that run on the real clock, not under --clock-ahead.
pytestmark = pytest.mark.real_clock

LIMIT = 10 * 1024 * 1024


@pytest.fixture
def parser():
    started = ParserProcess(max_attachment_bytes=LIMIT)
    yield started
    started.close()


def test_the_child_parses_every_fixture_as_the_batcher_would(parser):
    names = [n for n in all_fixtures() if len(fixture_bytes(n)) <= parser_process.MAX_BYTES]
    assert len(names) >= 40
    for name in names:
        future = parser.submit(fixture_bytes(name))
        assert future is not None, name
        try:
            here = parse_message(fixture_bytes(name), max_attachment_bytes=LIMIT)
        except Exception as exc:  # the child must fail the same way
            with pytest.raises(type(exc)):
                parser_process.parsed(future)
            continue
        assert parser_process.parsed(future) == here, name


def test_a_parse_that_fails_in_the_child_fails_the_same_way(parser):
    with pytest.raises(UnparseableMail):
        parser_process.parsed(parser.submit(b"\r\n\r\n"))


def test_a_large_message_is_left_to_the_batcher(parser):
    assert parser.submit(b"x" * (parser_process.MAX_BYTES + 1)) is None
    assert parser_process.parsed(None) is None


def test_when_the_child_dies_the_batcher_parses_by_itself(parser):
    raw = compose(message_id="<pp-dead@cliente-demo.es>")
    assert parser_process.parsed(parser.submit(raw)) is not None
    os.kill(parser.pid, signal.SIGKILL)
    os.waitpid(parser.pid, 0)
    deadline = time.monotonic() + 10
    pending = parser.submit(raw)
    while pending is not None and time.monotonic() < deadline:
        # A future submitted before the reader saw the end fails with ParserGone ...
        with pytest.raises(ParserGone):
            pending.result(timeout=10)
        pending = parser.submit(raw)
    assert pending is None  # ... and after it, nothing more is sent to the child.
    assert parser_process.parsed(pending) is None


def test_closing_ends_the_child(parser):
    parser.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(parser.pid, os.WNOHANG)


def test_a_listener_with_a_dead_parser_still_opens_tickets(transactional_db, plan_customer):
    parser = ParserProcess(max_attachment_bytes=LIMIT)
    handler = IntakeHandler(parser=parser)
    controller = IntakeController(handler, port=free_port())
    controller.start()
    try:
        for n, kill in enumerate((False, True)):
            if kill:
                os.kill(parser.pid, signal.SIGKILL)
            with smtplib.SMTP(controller.hostname, controller.port, timeout=30) as client:
                raw = compose(message_id=f"<pp-{n}@cliente-demo.es>",
                              subject=f"La tienda no carga {n}").replace(b"\n", b"\r\n")
                client.sendmail("ana@cliente-demo.es", [SUPPORT], raw)
            handler.wait_idle()
        rows = list(InboundMessage.objects.order_by("id"))
        assert [(r.status, r.outcome) for r in rows] == [
            (InboundStatus.PROCESSED, "ticket.opened")] * 2
        assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
            "La tienda no carga 0", "La tienda no carga 1"]
    finally:
        controller.stop()
        handler.close()
        parser.close()


def test_a_slow_child_is_not_waited_for(parser):
    """While the child is stuck, messages beyond a few socket buffers are parsed here."""
    raw = compose(message_id="<pp-slow@cliente-demo.es>") + b"x" * 30_000
    handed: list = []
    os.kill(parser.pid, signal.SIGSTOP)
    try:
        sender = threading.Thread(
            target=lambda: handed.extend(parser.submit(raw) for _ in range(20)), daemon=True)
        sender.start()
        sender.join(10)
        blocked = sender.is_alive()
    finally:
        os.kill(parser.pid, signal.SIGCONT)
    sender.join(10)
    assert not blocked, "submit blocked on a full socket while the child was stuck"
    assert handed[0] is not None and handed[-1] is None
    assert sum(future is not None for future in handed) * len(raw) <= (
        parser_process.MAX_WAITING_BYTES)
    assert all(parser_process.parsed(f) is not None for f in handed if f is not None)
    assert parser.submit(raw) is not None  # the room is back once the child answered


def test_a_child_that_does_not_answer_in_time_is_given_up(parser, monkeypatch):
    monkeypatch.setattr(parser_process, "PARSE_WAIT", 0.5)
    raw = compose(message_id="<pp-stuck@cliente-demo.es>")
    os.kill(parser.pid, signal.SIGSTOP)
    first, second = parser.submit(raw), parser.submit(raw)
    started = time.monotonic()
    assert parser_process.parsed(first) is None  # waited PARSE_WAIT, then gave up
    assert parser_process.parsed(second) is None  # at once: the child is retired
    assert time.monotonic() - started < 3
    assert parser.submit(raw) is None  # the batcher parses by itself from now on
    _, status = os.waitpid(parser.pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
