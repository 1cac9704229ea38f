"""The SMTP listener's own child processes: forked, tied to their parent, talked to over a
socket pair (the batcher process, the parser process, the extra listeners of
``--processes``).

Why not ``concurrent.futures.ProcessPoolExecutor`` or ``multiprocessing.Process``: the
batcher child is one long-lived loop that answers each message when its batch commits, not
a pool of tasks, and both children need what the pool does not give: death with the parent
(PR_SET_PDEATHSIG), Ctrl-C left to the parent, a cap on the bytes waiting for the parser
(so that a send never blocks the thread that feeds it), and a fork after Django and the
policy are loaded (``gc.freeze``-shared, no second start-up, which ``spawn``/``forkserver``
would cost). Measured on the parser (2,000 messages of ~2 KiB, one worker, December 2026,
a loaded 2-core machine): parsing inline 745 us a message, through this child 1,094 us,
through ``ProcessPoolExecutor`` (fork) 1,736 us; the pool's call items, feeder and result
threads cost the parent more than the parse it moves away. What is reused from the standard
library is ``multiprocessing.connection.Connection`` (framing and pickling) and
``concurrent.futures.Future`` (the answers)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection

from xuala.core.supervisor import die_with_parent

log = logging.getLogger(__name__)


def fork_child(main: Callable[[Connection], None], *, what: str,
               ) -> tuple[int, socket.socket, Connection]:
    """Fork a child that runs ``main`` on its end of a socket pair, then exits (status 1
    if ``main`` raised). Returns its pid, the parent's socket and a Connection on it.

    The child ignores Ctrl-C (it reaches the whole process group: the parent decides when
    the child ends, by closing its end), ends on SIGTERM, and dies with its parent. The
    parent's reader thread, blocked in ``recv``, is woken by ``socket.shutdown`` on the
    returned socket (closing the descriptor alone would leave it, and the child, waiting
    for ever).
    """
    parent_end, child_end = socket.socketpair()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        parent_end.close()
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            die_with_parent(parent)
            main(Connection(child_end.detach()))
            status = 0
        except BaseException:
            log.exception("the %s process failed", what)
        finally:
            os._exit(status)
    child_end.close()
    return pid, parent_end, Connection(os.dup(parent_end.fileno()))


class Child:
    """The parent's side of a forked child that answers numbered requests.

    ``_ask`` registers a future under a new number (``size`` counts towards
    ``waiting_bytes`` until its answer, and ``limit`` refuses a request past it); the
    reader thread hands each answer ``(number, kind, value)`` to ``_settle``; when the
    child's end closes, every waiting future fails with ``gone_error`` and ``_ended`` is
    called once. ``_end`` stops the reader and reaps the child.
    """

    gone_error: type[Exception] = RuntimeError

    def __init__(self, main: Callable[[Connection], None], *, what: str) -> None:
        self.pid, self._socket, self._conn = fork_child(main, what=what)
        self.what = what
        self._pending: dict[int, tuple[Future, int]] = {}  # number: (future, size)
        self.waiting_bytes = 0
        self._changed = threading.Condition()
        self._numbers = itertools.count()
        self._gone = False
        self._reader = threading.Thread(target=self._read, name=f"{what} reader", daemon=True)
        self._reader.start()

    def _ask(self, future: Future, size: int = 0, limit: int | None = None) -> int | None:
        """The number of a new request, or None if the child is gone (or over ``limit``)."""
        with self._changed:
            if self._gone or (limit is not None and self.waiting_bytes + size > limit):
                return None
            number = next(self._numbers)
            self._pending[number] = (future, size)
            self.waiting_bytes += size
            return number

    def _read(self) -> None:
        while True:
            try:
                number, kind, value = self._conn.recv()
            except (EOFError, OSError, ValueError) as exc:
                self._fail_all(exc)
                return
            except Exception:  # an answer that cannot be read: the rest may still be fine
                log.exception("a child process sent an unreadable answer")
                continue
            with self._changed:
                future, size = self._pending.pop(number, (None, 0))
                self.waiting_bytes -= size
                self._changed.notify_all()
            if future is not None:
                self._settle(future, kind, value)

    def _settle(self, future: Future, kind, value) -> None:
        raise NotImplementedError

    def _fail_all(self, why: BaseException | None = None) -> None:
        with self._changed:
            was_gone, self._gone = self._gone, True
            pending, self._pending = self._pending, {}
            self.waiting_bytes = 0
            self._changed.notify_all()
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(self.gone_error(f"the {self.what} process is gone: {why}"))
        if not was_gone:
            self._ended(why)

    def _ended(self, why: BaseException | None) -> None:
        """Called once, when the child's end is gone (closed, killed, or by ``_end``)."""

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every request has its answer."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._pending, timeout)

    def _end(self, timeout: float | None = 5) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._reader.join(timeout)
        with contextlib.suppress(OSError):
            self._conn.close()
        self._socket.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
