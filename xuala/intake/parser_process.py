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
import itertools
import logging
import os
import signal
import socket
import threading
from concurrent.futures import Future
from multiprocessing.connection import Connection

from xuala.intake.children import fork_child
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


class ParserProcess:
    """The child (forked at once) and the parent's side: ``submit`` and a reader thread.

    Fork it before the process starts other threads. ``submit`` is called from one
    thread only (the event loop's); the reader thread resolves the futures.
    """

    def __init__(self, *, max_attachment_bytes: int) -> None:
        # The child parses until the parent closes its end.
        self.pid, self._socket, self._conn = fork_child(
            lambda conn: _child(conn, max_attachment_bytes), what="mail parser")
        self._pending: dict[int, tuple[Future, int]] = {}  # number: (future, size)
        self._waiting_bytes = 0
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._gone = False
        self._reader = threading.Thread(target=self._read, name="intake-parser-reader",
                                        daemon=True)
        self._reader.start()

    def submit(self, raw: bytes) -> Future | None:
        """The future parse of ``raw``; None when the batcher should parse it itself."""
        size = len(raw)
        if self._gone or size > MAX_BYTES:
            return None
        future: Future = Future()
        future.retire = self.retire  # for ``parsed``: a child that does not answer
        number = next(self._numbers)
        with self._lock:
            if self._gone or self._waiting_bytes + size > MAX_WAITING_BYTES:
                return None
            self._pending[number] = (future, size)
            self._waiting_bytes += size
        try:
            self._conn.send((number, bytes(raw)))
        except (OSError, ValueError):
            self._fail_all()
            return None
        return future

    def _read(self) -> None:
        while True:
            try:
                number, ok, value = self._conn.recv()
            except (EOFError, OSError, ValueError):
                self._fail_all()
                return
            except Exception:  # an answer that cannot be read: the rest may still be fine
                log.exception("the mail parser process sent an unreadable answer")
                continue
            with self._lock:
                future, size = self._pending.pop(number, (None, 0))
                self._waiting_bytes -= size
            if future is None:
                continue
            if ok:
                future.set_result(value)
            elif ok is None:
                future.set_exception(ParserGone("the parse could not be sent back"))
            else:
                future.set_exception(value)

    def _fail_all(self) -> None:
        self._gone = True
        with self._lock:
            pending, self._pending = self._pending, {}
            self._waiting_bytes = 0
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(ParserGone("the mail parser process is gone"))

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
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            self._conn.close()
        self._socket.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


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
