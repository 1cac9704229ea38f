"""`xuala run`: one command serves the desk, restarts a crashed child, stops cleanly."""

import contextlib
import os
import signal
import socket
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


def test_the_supervisor_does_not_restart_a_child_that_cannot_start_as_configured(tmp_path):
    marker = tmp_path / "starts"
    script = f"open({str(marker)!r}, 'a').write('x'); import sys; sys.exit(78)"
    sup = Supervisor([ProcessSpec("misconfigured", [sys.executable, "-c", script])])
    for child in sup.children:
        sup._start(child)
    sup.children[0].popen.wait()
    for _ in range(3):
        sup._reap()
    assert sup.children[0].popen is None and marker.read_text() == "x"
    assert sup.children[0].next_start_at == float("inf")


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


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            if "zombie" not in Path(f"/proc/{pid}/status").read_text().lower():
                alive.add(pid)
    return alive


def _desk_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings",
           "XUALA_DATA_DIR": str(tmp_path), "XUALA_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
           **extra}
    if "XUALA_DATABASE_URL" not in extra:
        env.pop("XUALA_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "xuala", "migrate", "--noinput", "-v", "0"],
                   env=env, check=True, timeout=300)
    return env


def _start_desk(env: dict[str, str], *, web_workers: int = 1) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "xuala", "run", "--bind", f"127.0.0.1:{port}",
                             "--web-workers", str(web_workers)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, port


def _wait_for_smtp(env: dict[str, str], timeout: float = 60) -> None:
    host, port = env["XUALA_SMTP_LISTEN"].rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                if conn.recv(64).startswith(b"220"):
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the SMTP listener did not greet"
        time.sleep(0.2)


def _end(proc: subprocess.Popen) -> None:
    """A failed assertion leaves no process behind."""
    leftovers = _descendants(proc.pid) if proc.poll() is None else set()
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_xuala_run_killed_with_sigkill_leaves_no_child_behind(tmp_path):
    env = _desk_env(tmp_path)
    proc, port = _start_desk(env, web_workers=2)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60).status == 200
        _wait_for_smtp(env)
        children = _descendants(proc.pid)
        # granian's master and its two workers, the task worker, the engines, the listener
        # and the listener's own children at least.
        assert len(children) >= 10, children
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(children), f"children left running: {_alive(children)}"
    finally:
        for pid in _alive(children if "children" in locals() else set()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _end(proc)


def test_a_second_xuala_run_on_the_same_data_directory_is_refused_naming_the_first(tmp_path):
    env = _desk_env(tmp_path)
    first, port = _start_desk(env)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60).status == 200
        second, _ = _start_desk(env)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert f"already running on the data directory {tmp_path} (PID {first.pid})" in output
        assert "Traceback" not in output
        # The first desk still serves, and once it is killed a new one may start.
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz").status == 200
        first.kill()
        first.wait()
        third, port3 = _start_desk(env)
        try:
            assert wait_for_http(f"http://127.0.0.1:{port3}/healthz", timeout=60).status == 200
        finally:
            third.send_signal(signal.SIGINT)
            third.communicate(timeout=30)
    finally:
        _end(first)


def _postgres_url() -> str:
    import psycopg

    name = "xuala_run"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            c.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def test_a_second_xuala_run_on_the_same_postgresql_database_is_refused(tmp_path):
    url = _postgres_url()
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    env = _desk_env(first_dir, XUALA_DATABASE_URL=url)
    first, port = _start_desk(env)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60).status == 200
        other = {**env, "XUALA_DATA_DIR": str(second_dir),
                 "XUALA_SMTP_LISTEN": f"127.0.0.1:{free_port()}"}
        second, _ = _start_desk(other)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert f"already running on the database xuala_run (PID {first.pid})" in output
    finally:
        first.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            first.communicate(timeout=30)
        _end(first)


def test_xuala_run_with_its_mail_port_taken_says_so_in_one_line(tmp_path):
    env = _desk_env(tmp_path)
    host, port = env["XUALA_SMTP_LISTEN"].rsplit(":", 1)
    with socket.socket() as squatter:
        squatter.bind((host, int(port)))
        squatter.listen()
        proc, _ = _start_desk(env)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert (f"already in use: the mail port 127.0.0.1:{port} "
            "(set XUALA_SMTP_LISTEN, or SMTP= with make run)") in output
    assert "Traceback" not in output and "starting" not in output


def test_xuala_run_on_a_database_without_its_tables_says_to_migrate_in_one_line(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings",
           "XUALA_DATA_DIR": str(tmp_path), "XUALA_SMTP_LISTEN": f"127.0.0.1:{free_port()}"}
    env.pop("XUALA_DATABASE_URL", None)
    proc, _ = _start_desk(env)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "migrations: run `xuala migrate` first (`make run` does it)" in output
    assert "Traceback" not in output and "starting" not in output


def test_the_mail_listener_on_a_taken_port_exits_with_one_line_and_ex_config(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings",
           "XUALA_DATA_DIR": str(tmp_path)}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "xuala", "mail", "smtpd", "--listen",
                               f"127.0.0.1:{port}", "--processes", "2"],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 78
    assert done.stderr.strip() == (f"CommandError: 127.0.0.1:{port} is already in use; "
                                   "set XUALA_SMTP_LISTEN (or --listen) to a free address")


def test_xuala_run_serves_the_desk_and_ctrl_c_stops_every_child(tmp_path):
    env = _desk_env(tmp_path)
    proc, port = _start_desk(env)
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
        assert not _alive(children), f"children left running: {_alive(children)}"
    finally:
        _end(proc)
