"""The SMTP listener's own child processes: forked, tied to their parent, talked to over a
socket pair (the batcher process, the parser process, the extra listeners of
``--processes``)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable
from multiprocessing.connection import Connection

log = logging.getLogger(__name__)


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent dies (no orphan keeps the port)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the parent died before the line above
        os._exit(1)


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
    pid = os.fork()
    if pid == 0:
        parent_end.close()
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            die_with_parent()
            main(Connection(child_end.detach()))
            status = 0
        except BaseException:
            log.exception("the %s process failed", what)
        finally:
            os._exit(status)
    child_end.close()
    return pid, parent_end, Connection(os.dup(parent_end.fileno()))
