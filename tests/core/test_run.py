"""`xuala run`: one command serves the desk, restarts a crashed child, stops cleanly."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.test_healthz import free_port, wait_for_http
from xuala.core.supervisor import ProcessSpec, Supervisor

# Starts child processes (or servers in them) that run on the real clock, not under --clock-ahead.
pytestmark = pytest.mark.real_clock


def test_the_supervisor_restarts_a_child_that_crashes(tmp_path):
    marker = tmp_path / "starts"
    script = f"open({str(marker)!r}, 'a').write('x'); import sys; sys.exit(3)"
    sup = Supervisor([ProcessSpec("crasher", [sys.executable, "-c", script])], poll=0.05)
    # Drive the loop by hand: start, then reap until the child has been started twice.
    for child in sup.children:
        sup._start(child)
    deadline = time.monotonic() + 10
    while marker.exists() is False or len(marker.read_text()) < 2:
        sup._reap()
        time.sleep(0.05)
        assert time.monotonic() < deadline, "the crashed child was not restarted"
    sup._stop_all()
    assert sup.children[0].restarts >= 1


def test_the_supervisor_kills_a_child_that_ignores_sigterm():
    stubborn = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "print('ready', flush=True); time.sleep(60)")
    sup = Supervisor([ProcessSpec("stubborn", [sys.executable, "-c", stubborn])], grace=0.5)
    for child in sup.children:
        sup._start(child)
    time.sleep(0.5)
    started = time.monotonic()
    sup._stop_all()
    assert time.monotonic() - started < 5
    assert sup.children[0].popen.returncode == -signal.SIGKILL


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.add(int(entry.name))
    for child in list(found):
        found |= _descendants(child)
    return found


def test_xuala_run_serves_the_desk_and_ctrl_c_stops_every_child(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings",
           "XUALA_DATA_DIR": str(tmp_path)}
    env.pop("XUALA_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "xuala", "migrate", "--noinput", "-v", "0"],
                   env=env, check=True, timeout=120)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "xuala", "run", "--bind", f"127.0.0.1:{port}",
                             "--web-workers", "1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        assert health.status == 200
        page = wait_for_http(f"http://127.0.0.1:{port}/kb/politicas-de-asistencia-tecnica/")
        assert page.status == 200
        assert "asistencia@modo3.net" in page.read().decode()
        children = _descendants(proc.pid)
        assert len(children) >= 2  # the web server and the task worker at least
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, output
        assert "starting web" in output and "starting tasks" in output
        time.sleep(0.5)
        alive = {pid for pid in children if Path(f"/proc/{pid}").exists()
                 and "zombie" not in (Path(f"/proc/{pid}/status").read_text().lower())}
        assert not alive, f"children left running: {alive}"
    finally:
        if proc.poll() is None:  # a failed assertion: leave no process behind
            leftovers = _descendants(proc.pid)
            proc.kill()
            proc.wait()
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
