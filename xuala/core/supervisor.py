"""Starts the desk's processes, restarts any that crash, and stops them all cleanly."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

log = logging.getLogger("xuala.run")

EX_CONFIG = 78  # a child that exits with it cannot start as configured: not restarted

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Linux: this process gets SIGKILL when its parent dies, so no child of a killed
    supervisor (or listener) runs on unsupervised and keeps its port.

    ``parent`` is the pid the caller expects as its parent: if the parent already died
    before the signal was armed, the process has been re-parented and ends at once.
    Without ``parent``, re-parenting to pid 1 is what counts as the parent gone.
    """
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    ppid = os.getppid()
    if (parent is not None and ppid != parent) or (parent is None and ppid == 1):
        os._exit(1)


_forking: list[int] = []


def _arm_every_fork() -> None:
    """In this process, every forked child (granian's web workers) dies with it too, and
    so on down (the hooks are inherited)."""
    if _forking:
        return
    _forking.append(os.getpid())

    def before() -> None:
        _forking[0] = os.getpid()

    os.register_at_fork(before=before, after_in_child=lambda: die_with_parent(_forking[0]))


@dataclass
class ProcessSpec:
    name: str
    argv: Sequence[str]


@dataclass
class _Child:
    spec: ProcessSpec
    popen: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start_at: float = 0.0
    history: list[float] = field(default_factory=list)


class Supervisor:
    """Runs every spec as a child process until asked to stop.

    A child that exits is restarted after a back-off that grows with quick
    successive crashes (1 s, 2 s, 4 s … up to 30 s) and resets once a child has
    stayed up for a minute. SIGINT or SIGTERM sends SIGTERM to every child, waits
    up to ``grace`` seconds, then kills what is left.
    """

    def __init__(self, specs: Sequence[ProcessSpec], *, grace: float = 10.0, poll: float = 0.2):
        self.children = [_Child(spec) for spec in specs]
        self.grace = grace
        self.poll = poll
        self._stopping = False

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def _start(self, child: _Child) -> None:
        log.info("starting %s: %s", child.spec.name, " ".join(child.spec.argv))
        # Own process group: a terminal Ctrl-C reaches the supervisor only, which then
        # stops the children in order instead of all at once. The parent-death signal,
        # armed in the child before it runs its program, ends the child if the supervisor
        # itself is killed (SIGKILL leaves it no chance to stop them); each child arms its
        # own forks in turn (XUALA_DIE_WITH_PARENT, see arm_from_environment).
        supervisor = os.getpid()
        child.popen = subprocess.Popen(
            child.spec.argv, start_new_session=True,
            env={**os.environ, "XUALA_DIE_WITH_PARENT": "1"},
            preexec_fn=lambda: die_with_parent(supervisor))
        child.started_at = time.monotonic()

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self.request_stop)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in self.children:
                self._start(child)
            while not self._stopping:
                self._reap()
                time.sleep(self.poll)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _reap(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.popen is None:
                if now >= child.next_start_at:
                    self._start(child)
                continue
            code = child.popen.poll()
            if code is None:
                continue
            uptime = now - child.started_at
            if code == EX_CONFIG:
                log.error("%s cannot start as configured (see its message above); "
                          "not restarted", child.spec.name)
                child.popen = None
                child.next_start_at = float("inf")
                continue
            child.restarts = 0 if uptime > 60 else child.restarts + 1
            delay = min(30.0, 2.0 ** max(0, child.restarts - 1))
            log.error("%s exited with code %s after %.1f s; restarting in %.0f s",
                      child.spec.name, code, uptime, delay)
            child.popen = None
            child.next_start_at = now + delay

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.popen and c.popen.poll() is None]
        for child in running:
            log.info("stopping %s (pid %s)", child.spec.name, child.popen.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in running:
            try:
                child.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", child.spec.name, self.grace)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.popen.pid, signal.SIGKILL)
                child.popen.wait()


def arm_from_environment() -> None:
    """Called early by every program the supervisor starts: a process started with
    XUALA_DIE_WITH_PARENT makes each process it forks die with it (granian's workers, the
    listener's children), however deep."""
    if os.environ.get("XUALA_DIE_WITH_PARENT") == "1":
        _arm_every_fork()


def xuala_argv(*args: str) -> list[str]:
    """The argv that runs `xuala ARGS` with this interpreter."""
    return [sys.executable, "-m", "xuala", *args]
