"""Runs a due-row engine's step in a loop until SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger("xuala.engine")


def run_forever(name: str, step: Callable[[], int], *, idle: float = 1.0) -> None:
    """Call ``step`` again at once while it finds work, else after ``idle`` seconds."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("%s engine started", name)
    while not stopping:
        close_old_connections()
        try:
            done = step()
        except Exception:
            log.exception("%s step failed; retrying", name)
            done = 0
            time.sleep(idle)
        if not done:
            deadline = time.monotonic() + idle
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, idle))
    log.info("%s engine stopped", name)
