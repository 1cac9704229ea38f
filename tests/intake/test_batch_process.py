"""The listener's batcher in a child process: the same answers, and a clean end either way."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import threading
from pathlib import Path

import pytest

from tests.intake.conftest import SUPPORT, compose, free_port, wait_for_port, xuala
from xuala.desk.models import Ticket
from xuala.intake.batch_process import BatcherGone, BatcherProcess, Stored
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.services import Incoming, UnusableMessage

# Starts child processes (or servers in them) that run on the real clock, not under --clock-ahead.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


def incoming(raw: bytes) -> Incoming:
    return Incoming(raw=raw, path="smtp", envelope_from="ana@cliente-demo.es",
                    envelope_to=[SUPPORT], client_ip="192.0.2.10", helo="mx.cliente-demo.es")


def test_it_stores_and_processes_and_answers_with_the_row(plan_customer):
    batcher = BatcherProcess()
    try:
        stored = batcher.submit(incoming(compose(message_id="<bp-1@cliente-demo.es>",
                                                 subject="El carrito falla"))).result(30)
        with pytest.raises(UnusableMessage):
            batcher.submit(incoming(b"   \r\n")).result(30)
        assert batcher.wait_idle(30)
    finally:
        batcher.shutdown(timeout=30)
    assert isinstance(stored, Stored)
    row = InboundMessage.objects.get(pk=stored.pk)
    assert (row.status, row.outcome) == (InboundStatus.PROCESSED, "ticket.opened")
    assert Ticket.objects.get(pk=row.ticket_id).subject == "El carrito falla"
    with pytest.raises(ChildProcessError):  # reaped by shutdown
        os.waitpid(batcher.pid, os.WNOHANG)


def test_when_the_child_dies_waiting_messages_fail_and_the_listener_is_told(plan_customer):
    told = threading.Event()
    batcher = BatcherProcess(on_gone=told.set)
    try:
        os.kill(batcher.pid, signal.SIGKILL)
        assert told.wait(10)
        assert batcher.gone
        with pytest.raises(BatcherGone):
            batcher.submit(incoming(compose(message_id="<bp-2@cliente-demo.es>"))).result(10)
    finally:
        batcher.shutdown(timeout=10)
    assert not InboundMessage.objects.exists()


def test_a_large_message_does_not_hold_up_the_caller(plan_customer):
    """submit returns while the child is stopped and the message fills the socket."""
    body = "La web no carga.\n" + "x" * 76 + "\n"
    raw = compose(message_id="<bp-big@cliente-demo.es>", subject="Adjunto grande",
                  body=body * 20_000)  # about 2 MB
    batcher = BatcherProcess()
    handed: list = []
    try:
        os.kill(batcher.pid, signal.SIGSTOP)
        try:
            caller = threading.Thread(target=lambda: handed.append(batcher.submit(
                incoming(raw))), daemon=True)
            caller.start()
            caller.join(10)
            blocked = caller.is_alive()
        finally:
            os.kill(batcher.pid, signal.SIGCONT)
        assert not blocked, "submit waited for the child to read the message"
        stored = handed[0].result(60)
    finally:
        batcher.shutdown(timeout=30)
    row = InboundMessage.objects.get(pk=stored.pk)
    assert row.raw_size == len(raw) and row.outcome == "ticket.opened"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def test_the_listener_command_stops_with_status_1_when_its_batcher_dies(child_env):
    port = free_port()
    proc = subprocess.Popen(xuala("mail", "smtpd", "--listen", f"127.0.0.1:{port}"),
                            env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc=proc)
        # The port listens before the batcher is forked; the greeting comes after.
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.noop()
        children = _children(proc.pid)
        assert len(children) == 1, f"the listener's children: {children}"
        os.kill(children[0], signal.SIGKILL)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    said = err.decode(errors="replace")
    assert proc.returncode == 1, said
    assert "batcher process ended" in said
