"""The `--clock-ahead` option: run the suite with the wall clock moved far into the future.

A test that hard-codes an instant and lets a service stamp something with the real clock
passes until the day that instant is in the past, then fails for everyone. Moving the clock
ahead (`pytest --clock-ahead=400d`) makes such a test fail today instead: time-machine
travels `time.time()`, `datetime.now()` and friends for the whole run, ticking, so durations
measured inside a test are still real. `time.monotonic()` is not moved, so timed waits work.

Another process does not share the moved clock, so a test that starts a child process or a
server in one (marked `real_clock`) is not run with the option: under the option, starting a
child process from an unmarked test fails it with a message that says so, which keeps the
mark honest.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "w": "weeks"}


def parse_ahead(text: str) -> timedelta:
    """`400d`, `56w`, `9600h` → a timedelta; anything else is a usage error."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhmsw])\s*", text or "")
    if not match:
        raise pytest.UsageError(f"--clock-ahead: expected a number and a unit (d, h, m, s, w), "
                                f"e.g. 400d; got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def pytest_addoption(parser):
    parser.addoption("--clock-ahead", default=None, metavar="DURATION",
                     help="move the wall clock this far ahead (e.g. 400d) for the whole run; "
                          "tests marked real_clock are not run")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_clock: starts a server or a child process that runs on the real "
                   "clock; not run with --clock-ahead")
    ahead = config.getoption("--clock-ahead")
    if not ahead:
        return
    import time_machine

    delta = parse_ahead(ahead)
    traveller = time_machine.travel(datetime.now(UTC) + delta, tick=True)
    traveller.start()
    config._clock_ahead = (delta, traveller)


def pytest_unconfigure(config):
    state = getattr(config, "_clock_ahead", None)
    if state:
        state[1].stop()


def pytest_report_header(config):
    state = getattr(config, "_clock_ahead", None)
    if state:
        return (f"clock ahead by {state[0]}: the wall clock reads "
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return None


def pytest_collection_modifyitems(config, items):
    if not getattr(config, "_clock_ahead", None):
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("real_clock") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class ChildProcessUnderMovedClock(RuntimeError):
    """Raised when an unmarked test starts a child process while the clock is moved."""


@pytest.fixture(autouse=True)
def _no_child_processes_under_a_moved_clock(request, monkeypatch):
    """With --clock-ahead, a test that starts another process must be marked real_clock."""
    if not getattr(request.config, "_clock_ahead", None):
        yield
        return

    def refuse(*args, **kwargs):
        raise ChildProcessUnderMovedClock(
            f"{request.node.nodeid} starts a child process, which does not share the moved "
            "clock: mark the test (or its module) with pytest.mark.real_clock")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    monkeypatch.setattr(os, "fork", refuse)
    yield
