"""The listener's batcher in a process of its own, beside the SMTP conversations.

One Python process runs one thing at a time: the SMTP conversations (the event loop and
its socket writes, about a third of the listener's work) and the batcher (storing,
deciding, writing) took turns on one core. With the batcher in a child process, the two
run on two cores. The parent's side has the batcher's interface (``submit``,
``wait_idle``, ``shutdown``); the child runs the ordinary ``Batcher`` (with its own
parser process) and sends back, for each message, its row id or why it was refused.

The answers stay those of the batcher: 250 once the raw bytes are committed, 554 for an
unusable message, 451 for anything else. Should the child die, every message waiting
for it is answered 451 (the sending MTA retries; what it had committed is safe and the
intake engine finishes it), and ``on_gone`` is called so that the listener stops and its
supervisor starts it again.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection

from xuala.intake.accept import Incoming, UnusableMessage
from xuala.intake.children import Child

log = logging.getLogger(__name__)

_INHERITED: list = []


class BatcherGone(RuntimeError):
    """The batcher process ended before it answered for this message."""


@dataclass(frozen=True)
class Stored:
    """What the parent learns of a stored message: its row id."""

    pk: int


class BatcherProcess(Child):
    """The parent's side; forks the child at once (before the parent starts threads)."""

    gone_error = BatcherGone

    def __init__(self, *, max_batch: int = 64,
                 on_gone: Callable[[], None] | None = None) -> None:
        super().__init__(lambda conn: _child(conn, max_batch), what="intake batcher")
        self.on_gone = on_gone
        self._closing = False
        self._died = False
        # Messages go to the child from a thread of their own: a large one takes a while
        # to pass through the socket, and the event loop must not wait for it.
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send, name="intake-batcher-sender",
                                        daemon=True)
        self._sender.start()

    def submit(self, incoming: Incoming) -> Future:
        future: Future = Future()
        number = self._ask(future)
        if number is None:
            future.set_exception(BatcherGone("the intake batcher process is gone"))
        else:
            self._outbox.put((number, incoming))
        return future

    def _send(self) -> None:
        while True:
            item = self._outbox.get()
            try:
                self._conn.send(item)
            except (OSError, ValueError) as exc:
                self._fail_all(exc)
                return
            if item is None:  # the end: sent after every message before it
                return

    def _settle(self, future: Future, kind: str, value) -> None:
        if kind == "stored":
            future.set_result(Stored(value))
        elif kind == "unusable":
            future.set_exception(UnusableMessage(value))
        else:
            future.set_exception(RuntimeError(value))

    def _ended(self, why: BaseException | None) -> None:
        if self._closing:
            return
        self._died = True
        log.error("the intake batcher process ended (%s); the listener stops", why)
        if self.on_gone is not None:
            self.on_gone()

    def shutdown(self, *, timeout: float | None = None) -> None:
        """The child finishes what it was given, answers, and ends; then it is reaped."""
        self._closing = True
        self._outbox.put(None)
        self._sender.join(timeout)
        self._reader.join(timeout)
        self._end()

    @property
    def gone(self) -> bool:
        """Whether the child ended on its own (not by ``shutdown``)."""
        return self._died


def _child(conn: Connection, max_batch: int) -> None:
    from django.conf import settings
    from django.db import connections

    from xuala.intake.batcher import Batcher
    from xuala.intake.parser_process import ParserProcess

    # A database connection open in the parent at the fork is the parent's: never used,
    # closed or collected here (closing a PostgreSQL one would end the parent's session).
    for database in connections.all(initialized_only=True):
        if database.connection is not None:
            _INHERITED.append(database.connection)
            database.connection = None
    parser = ParserProcess(max_attachment_bytes=settings.XUALA_MAX_ATTACHMENT_BYTES)
    batcher = Batcher(max_batch=max_batch, parser=parser)
    sending = threading.Lock()

    def answer(number: int, future: Future) -> None:
        exc = future.exception()
        if exc is None:
            reply = (number, "stored", future.result().pk)
        elif isinstance(exc, UnusableMessage):
            reply = (number, "unusable", str(exc))
        else:
            reply = (number, "error", f"{exc.__class__.__name__}: {exc}")
        with sending, contextlib.suppress(OSError, ValueError):
            conn.send(reply)

    try:
        while True:
            try:
                item = conn.recv()
            except (EOFError, OSError):
                break
            if item is None:
                break
            number, incoming = item
            batcher.submit(incoming).add_done_callback(
                lambda future, number=number: answer(number, future))
    finally:
        batcher.wait_idle(timeout=20)
        batcher.shutdown(timeout=20)
        parser.close()
        connections.close_all()
        with contextlib.suppress(OSError):
            conn.close()
