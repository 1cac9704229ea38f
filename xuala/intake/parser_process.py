"""A child process that parses the SMTP listener's messages while its batcher works.

The listener is one Python process: its event loop (the SMTP conversations) and its
batcher (storing, deciding, writing) share one core. Parsing is pure, about a fifth of
that work, and needs nothing but the bytes, so each message is handed to this child as
soon as its DATA ends; by the time the batcher reaches it, the parsed message is usually
waiting. The batcher still stores the raw bytes first and uses the child's answer only
for a row made from those very bytes.

Nothing depends on the child: a message too large to pass along, a child that died or
is slow to answer (``PARSE_WAIT``), an answer that could not be sent back: the batcher
parses the message itself, as it would without the child. A parse that fails in the
child fails the same way in the batcher (the message is held raw for an agent).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
from concurrent.futures import Future
from multiprocessing.connection import Connection

from xuala.intake.children import Child
from xuala.intake.parse import parse_message

log = logging.getLogger(__name__)

# Larger messages are parsed by the batcher itself, and so is a message that finds this
# many bytes already waiting for the child (one slow parse must not make the sender wait:
# a send into a full socket buffer would block the thread that reads the listener's
# messages).
MAX_BYTES = 128 * 1024
MAX_WAITING_BYTES = 160 * 1024
# How long the batcher waits for the child's answer before parsing the message itself.
PARSE_WAIT = 5.0


class ParserGone(RuntimeError):
    """The child did not answer for this message: parse it here."""


class ParserProcess(Child):
    """The child (forked at once) and the parent's side: ``submit`` and a reader thread.

    Fork it before the process starts other threads. ``submit`` is called from one
    thread only (the one that reads the listener's messages); the reader thread resolves
    the futures.
    """

    gone_error = ParserGone

    def __init__(self, *, max_attachment_bytes: int) -> None:
        # The child parses until the parent closes its end.
        super().__init__(lambda conn: _child(conn, max_attachment_bytes), what="mail parser")

    def submit(self, raw: bytes) -> Future | None:
        """The future parse of ``raw``; None when the batcher should parse it itself."""
        size = len(raw)
        if self._gone or size > MAX_BYTES:
            return None
        future: Future = Future()
        future.retire = self.retire  # for ``parsed``: a child that does not answer
        number = self._ask(future, size, limit=MAX_WAITING_BYTES)
        if number is None:
            return None
        try:
            self._conn.send((number, bytes(raw)))
        except (OSError, ValueError) as exc:
            self._fail_all(exc)
            return None
        return future

    def _settle(self, future: Future, ok: bool | None, value) -> None:
        if ok:
            future.set_result(value)
        elif ok is None:
            future.set_exception(ParserGone("the parse could not be sent back"))
        else:
            future.set_exception(value)

    def retire(self) -> None:
        """Give up on a child that did not answer in time: end it; parse here from now on."""
        if self._gone:
            return
        log.warning("the mail parser process did not answer within %s s; the batcher "
                    "parses by itself from now on", PARSE_WAIT)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._fail_all()

    def close(self) -> None:
        """Stop the child (it ends when its input closes) and wait for it."""
        self._gone = True
        self._end()


def parsed(future: Future | None):
    """The child's ParsedMail, raising what its parse raised; None: parse it here."""
    if future is None:
        return None
    try:
        return future.result(timeout=PARSE_WAIT)
    except ParserGone:
        return None
    except TimeoutError:
        # The messages behind this one would wait as long: the child is done with.
        retire = getattr(future, "retire", None)
        if retire is not None:
            retire()
        return None


def _child(conn: Connection, max_attachment_bytes: int) -> None:
    gc.freeze()
    while True:
        try:
            number, raw = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (number, True, parse_message(raw,
                                                  max_attachment_bytes=max_attachment_bytes))
        except Exception as exc:
            answer = (number, False, exc)
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return
        except Exception:  # the result or the error would not pickle: the parent parses
            conn.send((number, None, None))
