"""The throughput half of bench_antispam.py: comment-check over HTTP under concurrency.

A fresh data folder (a temporary directory, SQLite, removed at the end), `xuala migrate`,
one customer with a coverage plan, its site and an anti-spam key; then the production web
server as `xuala run` starts it (granian, W workers, one thread each) on a free loopback
port, and C keep-alive clients (bench/loadgen.py) POST the labelled set's items,
form-encoded with Akismet's fields, to /akismet/1.1/comment-check for S seconds (after a
warm-up). Each answer must be `true` or `false`. After the run the server gets SIGTERM (a
clean shutdown) and the stored verdicts are counted: each answered check must be there.
Goal: at least 2,000 checks per second with p99 under 20 ms.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import loadgen

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATE = 2000.0
GOAL_P99_MS = 20.0
WARMUP_SECONDS = 4.0
# One plan site, made as an operator makes it: the customer import, then its key.
CUSTOMERS = ("customer,language,contact_email,service_kind,service_name,starts_on,site_url,"
             "plan,billing\nBench SL,es,admin@bench.example,web_hosting,bench.example,"
             "2020-01-01,https://bench.example/,cobertura-mensual,monthly\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _xuala(*args: str) -> list[str]:
    return [sys.executable, "-m", "xuala", *args]


def _wait(port: int, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the web server exited ({server.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise SystemExit(f"the web server on port {port} did not answer within {timeout:.0f} s")


def _bodies(rows, key: str) -> list[bytes]:
    bodies = []
    for number, row in enumerate(rows):
        item = row.item
        bodies.append(urllib.parse.urlencode({
            "api_key": key, "blog": "https://bench.example/", "blog_lang": row.lang,
            "user_ip": f"198.51.{number % 200}.{number % 250 + 1}", "user_agent": "bench",
            "comment_type": item.type, "comment_author": item.author,
            "comment_author_email": item.email, "comment_author_url": item.url,
            "comment_content": item.content}).encode())
    return bodies


def _expect_verdict(status: int, body: bytes) -> str | None:
    return None if body in (b"true", b"false") else f"answer {status} {body[:80]!r}"


def _cpu_seconds(group: int) -> float:
    """User and system CPU of every live process of a process group (granian and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _serve(app: str, env: dict, workers: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
         "--no-ws", "--log-level", "warning", app],
        env=env, cwd=ROOT, start_new_session=True)
    _wait(port, server)
    return server, port


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)


@contextlib.contextmanager
def served(*, workers: int, rate_per_minute: int = 100_000_000):
    """A fresh desk with one plan site and its key, served by granian: yields (port, key)."""
    work = Path(tempfile.mkdtemp(prefix="xuala-antispam-http-"))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="xuala.settings", XUALA_DATA_DIR=str(work),
               XUALA_DATABASE_URL="", XUALA_LOG_LEVEL="WARNING", XUALA_DEBUG="0",
               XUALA_ANTISPAM_RATE_PER_MINUTE=str(rate_per_minute), PYTHONPATH=str(ROOT))
    server = None
    try:
        subprocess.run(_xuala("migrate", "--noinput"), env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        (work / "customers.csv").write_text(CUSTOMERS)
        subprocess.run(_xuala("import", "customers", str(work / "customers.csv")), env=env,
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        key = subprocess.run(_xuala("antispam", "key", "create", "--site",
                                    "https://bench.example/"), env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        server, port = _serve("xuala.wsgi:application", env, workers)
        stored = {"group": server.pid}
        yield port, key, stored
        _stop(server)  # a clean shutdown (SIGTERM): the buffers are written
        stored["rows"] = int(subprocess.run(
            _xuala("shell", "-c", "from xuala.antispam.models import Check; "
                   "print(Check.objects.count())"), env=env, cwd=ROOT, check=True,
            capture_output=True, text=True).stdout.strip().splitlines()[-1])
    finally:
        if server is not None:
            _stop(server)
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class Side:
    result: loadgen.Result
    server_ms: float  # server CPU per answered request
    client_ms: float  # load generator CPU per request
    load: float  # one-minute load average at the start
    answered: int  # warm-up included

    def line(self) -> str:
        return (f"{self.result.summary()} | server CPU {self.server_ms:.3f} ms/check "
                f"({1000 / self.server_ms:.0f}/s per core), load generator "
                f"{self.client_ms:.3f} ms/request, load {self.load:.1f}")


def _drive(port: int, group: int, bodies: list[bytes], args) -> Side:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def scenario(worker, rng):
        return [loadgen.Request("POST", "/akismet/1.1/comment-check",
                                body=bodies[rng.randrange(len(bodies))], headers=headers,
                                expect=_expect_verdict)]

    # A warm-up run first: each worker loads the model and the detector once.
    warm = loadgen.run(host="127.0.0.1", port=port, scenario=scenario, seconds=WARMUP_SECONDS,
                       concurrency=args.concurrency, warmup_seconds=0)
    load = os.getloadavg()[0]
    server_cpu, client_cpu = _cpu_seconds(group), time.process_time()
    result = loadgen.run(host="127.0.0.1", port=port, scenario=scenario, seconds=args.seconds,
                         concurrency=args.concurrency, warmup_seconds=0)
    answered = max(result.all_iterations, 1)
    return Side(result, (_cpu_seconds(group) - server_cpu) * 1000 / answered,
                (time.process_time() - client_cpu) * 1000 / answered, load,
                warm.all_iterations - warm.errors + result.all_iterations - result.errors)


def floor(bodies: list[bytes], args) -> Side:
    """The peer: the same server, load generator and bodies, an application that does nothing."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bench"))
    server, port = _serve("antispam_floor:application", env, args.workers)
    try:
        return _drive(port, server.pid, bodies, args)
    finally:
        _stop(server)


def throughput(rows, args) -> bool:
    peer = floor(_bodies(rows, "xs-floor"), args)
    with served(workers=args.workers) as (port, key, stored):
        ours = _drive(port, stored["group"], _bodies(rows, key), args)
        stored["answered"] = ours.answered
    result = ours.result
    print(f"throughput: comment-check over HTTP, {args.workers} granian workers, "
          f"concurrency {args.concurrency}, {args.seconds:.0f} s, SQLite")
    print(f"  floor (peer): {peer.line()}")
    print(f"  xuala:        {ours.line()}")
    print(f"  ratio to the floor: {result.rps / peer.result.rps:.2f}x the requests per second; "
          f"server CPU {ours.server_ms / peer.server_ms:.1f}x")
    for sample in result.error_samples:
        print(f"  error: {sample}")
    print(f"  verdicts stored after a clean shutdown: {stored.get('rows')} of "
          f"{stored.get('answered')} answered (warm-up included)")
    passed = (result.rps >= GOAL_RATE and result.p99 < GOAL_P99_MS and not result.errors
              and stored.get("rows") == ours.answered)
    print(("PASS" if passed else "FAIL") + f": at least {GOAL_RATE:.0f} checks/s with p99 under "
          f"{GOAL_P99_MS:.0f} ms (measured {result.rps:.0f}/s, p99 {result.p99:.1f} ms)")
    return passed
