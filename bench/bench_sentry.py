#!/usr/bin/env python
"""Benchmark: how many sites Online Sentry checks every minute on this machine, beside Uptime Kuma.

    .venv/bin/python bench/bench_sentry.py [--sites N] [--seconds S] [--engines E]
        [--https-share F] [--interval I] [--trials T] [--no-search]
        [--kuma-sites N] [--kuma-trials T] [--no-kuma] [--no-wrk] [--quick]

1. The site farm (tests/sentry/farm.py) in its own process on 127.0.0.1, one server playing
   every site by its Host name (`s<i>.farm.test`: the plain 200 shop page with the keyword),
   HTTP and HTTPS (its own CA). This script runs it (`--farm-process`) exactly as
   `python -m tests.sentry.farm` does, plus a request log: every request's site name and
   arrival time, written to a file when the farm stops. A new farm per trial.
2. Our side: a fresh data folder (bench/.work/sentry/data, SQLite; or, when XUALA_DATABASE_URL
   is set, a PostgreSQL database named after it with `_sentry_bench` appended, dropped at the
   end), `migrate`, then per trial N plan sites and their monitors written in bulk (one
   customer with a `cobertura-anual` contract covering all its sites, so the engines'
   `monitors_sync` keeps them), a share F of them HTTPS, the keyword expected, interval I
   (60 s), monitor i's first slot at start + i * I / N (spread across the minute). Then E
   engine processes, `xuala sentry engine --resolve '*.farm.test:127.0.0.1' --insecure-ca
   <farm CA>`, for S seconds, then SIGTERM.
3. Lateness, from the farm's log (what the sites saw, not the engines' own account): for every
   monitor and every slot s that lies wholly after the warm-up (the first interval) and
   before the stop, the first request in [s, s + I) is that slot's check, its lateness the
   time after s; a slot without a request is missed (infinitely late); a second request in
   one slot is a double. p99 of all slots must stay under 5 s (so 1 % missed fails).
4. CPU-seconds per 1,000 checks over the measured window, from /proc/<pid>/stat: the engines,
   the farm (and the PostgreSQL backends of the engines) separately. Memory per monitor: the
   engines' resident memory (VmRSS at the end of the window) / N.
5. Search: starting at --sites, a trial per N, up (x1.6) while it passes, down (/2) while it
   fails, then bisecting, at most --trials trials; the largest N that passed is the figure.
6. The peer, Uptime Kuma, from the npm registry (bench/kuma/package.json: 2.0.0-dev.0, the
   only version there), installed once in bench/.work/kuma; its `db/patch-*.sql` are copied
   into `db/old_migrations/` before its first start (the snapshot needs it). Headless:
   `node server/server.js --data-dir=<dir> --port=<port> --host=127.0.0.1` from its package
   folder, with `db-config.json` {"type": "sqlite"} in the data folder (no setup page) and
   NODE_EXTRA_CA_CERTS=<farm CA> (so it verifies the farm's certificates as we do). The admin
   user and the monitors go through its socket.io API (bench/kuma/add_monitors.js): "setup",
   "login", then its backup import ("uploadBackup", option "keep"), which stores and starts
   the monitors (its "add" event, one monitor at a time as its page does, resends the whole
   monitor list after each add: 100 adds took 33 s, a thousand would take most of an hour).
   N keyword monitors on the same sites (URL http(s)://127.0.0.1:<port>/ with the site's Host
   header), the same share of HTTPS, the same interval, imported in chunks one second apart
   over one interval, so that their checks spread across the minute as ours do (Kuma starts a
   monitor when it is imported). Kuma has no slots: it schedules each next check an interval
   after the last one ended, so its lateness is, from its heartbeat table, each gap between two
   beats of a monitor minus the interval (measured the same way from the farm's log for both sides:
   printed as "gap lateness"). Its CPU (the node process) and memory (RSS / N) likewise.
7. The machine's limit: `wrk` against the farm (HTTP keep-alive, HTTP and HTTPS with a new
   connection per request, as a check makes), one client thread, 5 s each.

Bounded: every trial stops after S seconds, every process started here is stopped by its pid
(process group) in `finally`, loopback only. Wrap runs in `flock /tmp/xuala-bench.lock ...`
so that other benchmarks on this machine do not run at the same time.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import math
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / ".work" / "sentry"
KUMA_WORK = ROOT / "bench" / ".work" / "kuma"
KUMA_SETUP = ROOT / "bench" / "kuma"
KEYWORD = "Bienvenido a mi tienda"
GOAL = 100_000
LATE_LIMIT = 5.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- processes

class Proc:
    """A child in its own process group, its output in a file; stopped by its pid."""

    def __init__(self, name: str, argv: list[str], *, log: Path, env: dict | None = None,
                 cwd: Path = ROOT, stdout_pipe: bool = False) -> None:
        self.name, self.argv, self.log = name, argv, log
        self._out = log.open("w")
        self.popen = subprocess.Popen(
            argv, cwd=cwd, env=env, start_new_session=True,
            stdout=subprocess.PIPE if stdout_pipe else self._out,
            stderr=self._out, text=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 45) -> int | None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._out.close()
        return self.popen.returncode


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (its reaped children excluded)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def postgres_backends(dbname: str) -> list[int]:
    """PostgreSQL backend processes connected to ``dbname`` (their titles name it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {dbname} " in title:
                pids.append(int(entry.name))
    return pids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what}: {proc.name} exited:\n{proc.output()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---------------------------------------------------------------- the farm with a request log

def farm_process(log_path: Path, seconds: float) -> int:
    """`python -m tests.sentry.farm`, plus a log of every request (site name, arrival time)."""
    from array import array

    from tests.sentry.farm import DOMAIN, SiteFarm, new_event_loop

    farm = SiteFarm(backlog=8192)
    hosts: list[str] = []
    times = array("d")
    original, now = farm.behaviour_of, time.time

    def logged(host: str) -> str:
        hosts.append(host)
        times.append(now())
        return original(host)

    farm.behaviour_of = logged
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(farm.serve())
    print(json.dumps({"http_port": farm.http_port, "https_port": farm.https_port,
                      "ca_file": str(farm.ca_file), "domain": DOMAIN}), flush=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    loop.call_later(seconds, loop.stop)
    try:
        loop.run_forever()
    finally:
        loop.run_until_complete(farm.close())
        loop.close()
        with log_path.open("w") as out:
            out.writelines(f"{h}\t{t:.6f}\n" for h, t in zip(hosts, times, strict=True))
        farm.stop()
    return 0


class Farm:
    def __init__(self, tag: str, seconds: float) -> None:
        self.log_path = WORK / f"farm-{tag}.requests"
        self.log_path.unlink(missing_ok=True)
        self.ca_dir = WORK / f"farm-{tag}-ca"
        self.proc = Proc("farm", [sys.executable, str(Path(__file__).resolve()),
                                  "--farm-process", str(self.log_path),
                                  "--farm-seconds", str(seconds)],
                         log=WORK / f"farm-{tag}.log", stdout_pipe=True)
        line = self.proc.popen.stdout.readline()
        if not line:
            raise RuntimeError("the farm did not start:\n" + self.proc.output())
        info = json.loads(line)
        self.http_port, self.https_port = info["http_port"], info["https_port"]
        # The farm's CA lives in its temporary folder; keep a copy for Kuma and the engines.
        self.ca_dir.mkdir(parents=True, exist_ok=True)
        self.ca_file = self.ca_dir / "ca.pem"
        shutil.copy(info["ca_file"], self.ca_file)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> dict[str, list[float]]:
        """Stop the farm; its request log, by site name."""
        self.proc.stop()
        seen: dict[str, list[float]] = defaultdict(list)
        if self.log_path.exists():
            with self.log_path.open() as f:
                for line in f:
                    host, _, at = line.rstrip("\n").partition("\t")
                    seen[host].append(float(at))
        for times in seen.values():
            times.sort()
        return seen


# ---------------------------------------------------------------- lateness

@dataclass
class Lateness:
    slots: int = 0
    missed: int = 0
    doubles: int = 0
    values: list[float] = field(default_factory=list)  # per slot; missed = inf
    gaps: list[float] = field(default_factory=list)  # gap between checks - interval

    def pct(self, q: float, values: list[float] | None = None) -> float:
        data = sorted(self.values if values is None else values)
        if not data:
            return math.nan
        return data[min(len(data) - 1, max(0, math.ceil(q / 100 * len(data)) - 1))]

    @property
    def p99(self) -> float:
        return self.pct(99)


def slot_lateness(seen: dict[str, list[float]], first: dict[str, float], interval: float,
                  start: float, end: float) -> Lateness:
    """Per monitor and slot in [start, end): the first request in the slot, its lateness."""
    out = Lateness()
    eps = 0.05  # the engine starts a check on its slot; the clocks are the same machine's
    for host, slot0 in first.items():
        times = seen.get(host, [])
        k = max(0, math.ceil((start - slot0) / interval))
        while True:
            s = slot0 + k * interval
            if s + interval > end:
                break
            lo = bisect.bisect_left(times, s - eps)
            hi = bisect.bisect_left(times, s + interval - eps)
            out.slots += 1
            if hi == lo:
                out.missed += 1
                out.values.append(math.inf)
            else:
                out.values.append(max(0.0, times[lo] - s))
                out.doubles += hi - lo - 1
            k += 1
        out.gaps += gap_lateness(times, interval, start, end)
    return out


def gap_lateness(times: list[float], interval: float, start: float, end: float) -> list[float]:
    """For each check in [start, end): its gap since the previous check, minus the interval."""
    return [b - a - interval for a, b in itertools.pairwise(times)
            if start <= b < end]


def fmt_late(value: float) -> str:
    if math.isinf(value):
        return "missed"
    return f"{value:.2f} s" if value >= 0.1 else f"{value * 1000:.0f} ms"


# ---------------------------------------------------------------- our side

class Ours:
    """Our data (fresh SQLite folder or PostgreSQL database) and the Django set-up for it."""

    def __init__(self) -> None:
        self.base_url = os.environ.get("XUALA_DATABASE_URL", "")
        self.data_dir = WORK / "data"
        self.dbname = ""
        self.database_url = ""
        if self.base_url:
            parts = urllib.parse.urlsplit(self.base_url)
            own = urllib.parse.unquote(parts.path.lstrip("/")) or "xuala"
            self.dbname = f"{own}_sentry_bench"
            self.database_url = urllib.parse.urlunsplit(parts._replace(path="/" + self.dbname))

    @property
    def kind(self) -> str:
        return "PostgreSQL" if self.base_url else "SQLite"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"DJANGO_SETTINGS_MODULE": "xuala.settings",
                    "XUALA_DATA_DIR": str(self.data_dir), "XUALA_DEBUG": "0",
                    "XUALA_LOG_LEVEL": "INFO"})  # the engines say when they have started
        if self.database_url:
            env["XUALA_DATABASE_URL"] = self.database_url
        else:
            env.pop("XUALA_DATABASE_URL", None)
        return env

    def _postgres(self, *, create: bool) -> None:
        import psycopg

        parts = urllib.parse.urlsplit(self.base_url)
        params = {"host": parts.hostname or None, "port": parts.port or None,
                  "user": urllib.parse.unquote(parts.username or "") or None,
                  "password": urllib.parse.unquote(parts.password or "") or None,
                  "autocommit": True}
        try:
            conn = psycopg.connect(dbname=urllib.parse.unquote(parts.path.lstrip("/"))
                                   or "postgres", **params)
        except psycopg.OperationalError:
            conn = psycopg.connect(dbname="postgres", **params)
        with conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            if create:
                conn.execute(f'CREATE DATABASE "{self.dbname}"')

    def setup(self) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        if self.base_url:
            self._postgres(create=True)
        os.environ.update(self.env())
        if not self.base_url:
            os.environ.pop("XUALA_DATABASE_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)

    def teardown(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.base_url:
            with contextlib.suppress(Exception):
                self._postgres(create=False)

    def load(self, n: int, *, https_share: float, interval: int, farm: Farm) -> list[int]:
        """N plan sites and their monitors (not yet due), written in bulk; their ids."""
        from django.db import connection, transaction

        from xuala.customers.models import Billing, Contract, Customer, HostingServer, Site
        from xuala.sentry.models import Monitor, MonitorKind

        with transaction.atomic(), connection.cursor() as cursor:
            for table in ("sentry_check", "sentry_incident", "sentry_uptimehour",
                          "sentry_uptimeday", "sentry_maintenancewindow", "sentry_lastgood",
                          "sentry_monitor", "customers_contract_sites", "customers_contract",
                          "customers_site"):
                cursor.execute(f"DELETE FROM {table}")
        HostingServer.objects.update(is_active=False)
        customer = Customer.objects.get_or_create(name="Bench Sentry SL")[0]
        Contract.objects.create(customer=customer, plan_key="cobertura-anual",
                                billing=Billing.ANNUAL, starts_on=date(2020, 1, 1))
        urls = []
        for i in range(n):
            https = (i % 100) < https_share * 100
            port = farm.https_port if https else farm.http_port
            urls.append(f"{'https' if https else 'http'}://s{i}.farm.test:{port}/")
        sites = Site.objects.bulk_create([Site(customer=customer, url=u) for u in urls],
                                         batch_size=5000)
        later = datetime.now(UTC).replace(year=2100)
        monitors = Monitor.objects.bulk_create(
            [Monitor(kind=MonitorKind.SITE, site=site, customer=customer, name=site.url,
                     url=site.url, keyword=KEYWORD, interval_seconds=interval,
                     next_check_at=later, slot_at=later) for site in sites], batch_size=5000)
        connection.close()
        return [m.pk for m in monitors]

    def schedule(self, ids: list[int], *, interval: int, first_slot: float) -> dict[str, float]:
        """Monitor i's first slot at first_slot + i * interval / N; returns host -> slot."""
        from django.db import connection, transaction

        n = len(ids)
        first, rows = {}, []
        adapt = connection.ops.adapt_datetimefield_value
        for i, pk in enumerate(ids):
            at = first_slot + i * interval / n
            first[f"s{i}.farm.test"] = at
            slot = adapt(datetime.fromtimestamp(at, UTC))
            rows.append((slot, slot, pk))
        from django.db import OperationalError

        for attempt in range(10):  # SQLite: an engine may hold the write lock a while
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany("UPDATE sentry_monitor SET next_check_at = %s, "
                                       "slot_at = %s WHERE id = %s", rows)
                break
            except OperationalError:
                if attempt == 9:
                    raise
                time.sleep(1)
        connection.close()
        return first


@dataclass
class Trial:
    side: str
    n: int
    interval: int
    late: Lateness
    checks: int  # in the measured window
    window: float
    cpu: dict[str, float]  # name -> CPU-seconds in the window
    rss: int  # bytes, the checker's resident memory at the end of the window
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.late.slots > 0 and self.late.p99 < LATE_LIMIT

    def per_k(self, names: tuple[str, ...]) -> float:
        used = sum(v for k, v in self.cpu.items() if k in names)
        return used / self.checks * 1000 if self.checks else math.nan


def trial_ours(ours: Ours, n: int, args) -> Trial:
    interval = args.interval
    seconds = args.seconds
    tag = f"xuala-{n}"
    farm = Farm(tag, seconds + 180)
    engines: list[Proc] = []
    try:
        ids = ours.load(n, https_share=args.https_share, interval=interval, farm=farm)
        argv = [sys.executable, "-m", "xuala", "sentry", "engine", "--resolve",
                "*.farm.test:127.0.0.1", "--insecure-ca", str(farm.ca_file),
                "--batch", str(args.batch)]
        root = Path(args.engine_root).resolve() if args.engine_root else ROOT
        for e in range(args.engines):
            engines.append(Proc(f"engine{e}", argv, log=WORK / f"{tag}-engine{e}.log",
                                env=ours.env(), cwd=root))
        for engine in engines:
            wait_for(lambda e=engine: "sentry engine started" in e.output(), 60,
                     "engine start-up", engine)
        # The first slots once the engines are up (and have synchronised the monitors).
        first_slot = time.time() + 5
        first = ours.schedule(ids, interval=interval, first_slot=first_slot)
        if time.time() > first_slot - 1:
            raise RuntimeError("scheduling the monitors took longer than planned")
        start, end = first_slot + interval, first_slot + seconds
        sleep_until(start)
        pg0 = postgres_backends(ours.dbname) if ours.dbname else []
        cpu0 = {"engines": sum(cpu_seconds(e.pid) for e in engines),
                "farm": cpu_seconds(farm.pid), "database": sum(map(cpu_seconds, pg0))}
        rss_peak = 0
        while time.time() < end:
            time.sleep(min(5.0, max(0.0, end - time.time())))
            rss_peak = max(rss_peak, sum(rss_bytes(e.pid) for e in engines))
            for engine in engines:
                if not engine.alive():
                    raise RuntimeError(f"{engine.name} exited:\n{engine.output()[-3000:]}")
        pg1 = postgres_backends(ours.dbname) if ours.dbname else []
        cpu1 = {"engines": sum(cpu_seconds(e.pid) for e in engines),
                "farm": cpu_seconds(farm.pid),
                "database": sum(map(cpu_seconds, set(pg0) & set(pg1)))}
        rss = sum(rss_bytes(e.pid) for e in engines)
    finally:
        codes = [e.stop() for e in engines]
        seen = farm.stop()
    notes = []
    if any(codes):
        notes.append(f"engine exit codes {codes}")
    for engine in engines:
        errors = [line for line in engine.output().splitlines()
                  if "Traceback" in line or "ERROR" in line or "Error" in line]
        if errors:
            notes.append(f"{engine.name}: {len(errors)} error lines, e.g. {errors[0][:160]}")
    late = slot_lateness(seen, first, interval, start, end)
    checks = sum(1 for host in first for t in seen.get(host, ()) if start <= t < end)
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    if not ours.dbname:
        cpu.pop("database")
    return Trial("xuala", n, interval, late, checks, end - start, cpu, rss, notes)


def sleep_until(at: float) -> None:
    while (left := at - time.time()) > 0:
        time.sleep(min(left, 1.0))


# ---------------------------------------------------------------- the peer: Uptime Kuma

def kuma_package() -> Path:
    return KUMA_WORK / "node_modules" / "uptime-kuma"


def kuma_install() -> str:
    """Install (once, again when bench/kuma/package.json changes); returns its version."""
    KUMA_WORK.mkdir(parents=True, exist_ok=True)
    wanted = (KUMA_SETUP / "package.json").read_text()
    stamp = KUMA_WORK / ".installed-package.json"
    package = kuma_package()
    if not (stamp.exists() and stamp.read_text() == wanted and package.exists()):
        (KUMA_WORK / "package.json").write_text(wanted)
        argv = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
        print(f"installing Uptime Kuma: (cd {KUMA_WORK} && {shlex.join(argv)})", flush=True)
        subprocess.run(argv, cwd=KUMA_WORK, check=True, timeout=1800)
        stamp.write_text(wanted)
    # The 2.0 development snapshot needs its patches where its first start looks for them.
    for patch in (package / "db").glob("patch-*.sql"):
        target = package / "db" / "old_migrations" / patch.name
        if not target.exists():
            shutil.copy(patch, target)
    subprocess.run(["node", "-e", "require('@louislam/sqlite3')"], cwd=package, check=True,
                   timeout=60)
    return json.loads((package / "package.json").read_text())["version"]


def kuma_start(data: Path, port: int, ca_file: Path, tag: str) -> Proc:
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=str(ca_file), UPTIME_KUMA_HIDE_LOG="")
    proc = Proc("uptime-kuma", ["node", "server/server.js", f"--data-dir={data}/",
                                f"--port={port}", "--host=127.0.0.1"],
                log=WORK / f"{tag}.log", env=env, cwd=kuma_package())
    wait_for(lambda: "Listening on" in proc.output(), 180, "Uptime Kuma start-up", proc)
    return proc


def kuma_template() -> Path:
    """A data folder with Kuma's database migrated and the admin user made (once)."""
    template = WORK / "kuma-template"
    if (template / "kuma.db").exists() and (template / ".ready").exists():
        return template
    shutil.rmtree(template, ignore_errors=True)
    template.mkdir(parents=True)
    (template / "db-config.json").write_text(json.dumps({"type": "sqlite"}))
    port = free_port()
    proc = kuma_start(template, port, Path("/dev/null"), "kuma-template")
    try:
        subprocess.run(["node", str(KUMA_SETUP / "add_monitors.js"),
                        "--url", f"http://127.0.0.1:{port}", "--kuma-dir", str(kuma_package()),
                        "--setup-only"], check=True, timeout=120)
    finally:
        proc.stop()
    (template / ".ready").write_text("ok")
    return template


def trial_kuma(n: int, args, template: Path) -> Trial:
    interval = max(20, args.interval)  # Kuma's shortest interval
    tag = f"kuma-{n}"
    data = WORK / f"{tag}-data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    measure = args.seconds - interval
    farm = Farm(tag, 3 * interval + measure + 600)
    kuma = None
    notes = []
    try:
        port = free_port()
        kuma = kuma_start(data, port, farm.ca_file, tag)
        adding = time.time()
        out = subprocess.run(
            ["node", str(KUMA_SETUP / "add_monitors.js"), "--url", f"http://127.0.0.1:{port}",
             "--kuma-dir", str(kuma_package()), "--sites", str(n),
             "--http-port", str(farm.http_port), "--https-port", str(farm.https_port),
             "--https-share", str(args.https_share), "--interval", str(interval),
             "--spread", str(interval)],
            check=True, timeout=1800, capture_output=True, text=True)
        added = json.loads(out.stdout.strip().splitlines()[-1])
        notes.append(f"adding {added['added']} monitors took {added['seconds']:.0f} s "
                     f"(paced over {interval} s)")
        start = max(time.time(), adding + interval) + interval  # every monitor has run once
        end = start + measure
        sleep_until(start)
        cpu0 = {"kuma": cpu_seconds(kuma.pid), "farm": cpu_seconds(farm.pid)}
        while time.time() < end:
            time.sleep(min(5.0, max(0.0, end - time.time())))
            if not kuma.alive():
                raise RuntimeError("Uptime Kuma exited:\n" + kuma.output()[-3000:])
        cpu = {"kuma": cpu_seconds(kuma.pid) - cpu0["kuma"],
               "farm": cpu_seconds(farm.pid) - cpu0["farm"]}
        rss = rss_bytes(kuma.pid)
    finally:
        if kuma is not None:
            kuma.stop()
        seen = farm.stop()
    # Its own account: the heartbeat table.
    import sqlite3

    db = sqlite3.connect(data / "kuma.db")
    beats: dict[int, list[float]] = defaultdict(list)
    up = down = 0
    for monitor_id, at, status in db.execute(
            "SELECT monitor_id, time, status FROM heartbeat ORDER BY monitor_id, time"):
        t = datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp()
        beats[monitor_id].append(t)
        if start <= t < end:
            up += status == 1
            down += status != 1
    monitors = [row[0] for row in db.execute("SELECT id FROM monitor WHERE active = 1")]
    db.close()
    late = Lateness()
    for monitor_id in monitors:
        gaps = gap_lateness(beats.get(monitor_id, []), interval, start, end)
        late.gaps += gaps
        # Lateness per expected check: each beat's gap minus the interval; a monitor with
        # fewer beats in the window than the window holds intervals missed the rest.
        expected = int(measure // interval)
        late.values += [max(0.0, g) for g in gaps]
        late.missed += max(0, expected - len(gaps))
        late.values += [math.inf] * max(0, expected - len(gaps))
        late.slots += max(expected, len(gaps))
    farm_gaps = []
    for host, times in seen.items():
        if host.startswith("s"):
            farm_gaps += gap_lateness(times, interval, start, end)
    checks = up + down
    if down:
        notes.append(f"{down} of {checks} heartbeats were not UP")
    notes.append(f"farm's log: gap lateness p99 "
                 f"{fmt_late(Lateness().pct(99, farm_gaps)) if farm_gaps else 'n/a'}, "
                 f"{sum(1 for h, t in seen.items() for x in t if start <= x < end)} requests")
    return Trial("uptime-kuma", n, interval, late, checks, end - start, cpu, rss, notes)


# ---------------------------------------------------------------- wrk

def wrk_rates(seconds: int = 5) -> list[tuple[str, str, float]]:
    if shutil.which("wrk") is None:
        return [("wrk not installed (apt-get install -y wrk)", "", math.nan)]
    farm = Farm("wrk", 120)
    out = []
    try:
        cases = [("HTTP keep-alive", [], f"http://127.0.0.1:{farm.http_port}/"),
                 ("HTTP new connection per request", ["-H", "Connection: close"],
                  f"http://127.0.0.1:{farm.http_port}/"),
                 ("HTTPS new connection per request", ["-H", "Connection: close"],
                  f"https://127.0.0.1:{farm.https_port}/")]
        for name, extra, url in cases:
            argv = ["wrk", "-t1", "-c64", f"-d{seconds}s", *extra, url]
            run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
            match = re.search(r"Requests/sec:\s*([\d.]+)", run.stdout)
            out.append((name, shlex.join(argv), float(match.group(1)) if match else math.nan))
    finally:
        farm.stop()
    return out


# ---------------------------------------------------------------- search and report

def search(run, start: int, trials: int, *, floor: int, label: str) -> list[Trial]:
    done: list[Trial] = []
    n = start
    for _ in range(trials):
        print(f"-- {label}: trial with {n:,} monitors", flush=True)
        try:
            result = run(n)
        except RuntimeError as exc:
            print(f"   failed to run: {exc}", flush=True)
            result = None
        if result is not None:
            done.append(result)
            print_trial(result)
        passed = [t.n for t in done if t.passed]
        failed = [t.n for t in done if not t.passed] + ([n] if result is None else [])
        lo, hi = max(passed, default=0), min((f for f in failed if f > max(passed, default=0)),
                                             default=0)
        if not hi:
            n = round_n(n * 1.6)
        elif not lo:
            n = round_n(n / 2)
        else:
            if hi / lo < 1.15:
                break
            n = round_n((lo + hi) / 2)
        if n < floor:
            break
    return done


def round_n(x: float) -> int:
    step = 1000 if x >= 10000 else 100 if x >= 1000 else 10
    return max(step, int(round(x / step) * step))


def print_trial(t: Trial) -> None:
    late = t.late
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in t.cpu.items())
    print(f"   {t.side} n={t.n:,} interval {t.interval} s: {'PASS' if t.passed else 'FAIL'}  "
          f"slots {late.slots:,}, missed {late.missed:,}, doubles {late.doubles:,}; lateness "
          f"p50 {fmt_late(late.pct(50))} p95 {fmt_late(late.pct(95))} "
          f"p99 {fmt_late(late.p99)} max {fmt_late(late.pct(100))}; gap lateness p99 "
          f"{fmt_late(late.pct(99, late.gaps)) if late.gaps else 'n/a'}", flush=True)
    print(f"   {t.checks:,} checks in {t.window:.0f} s ({t.checks / t.window:,.0f}/s); "
          f"CPU-s {cpu}; checker RSS {t.rss / 2**20:,.0f} MiB", flush=True)
    for note in t.notes:
        print(f"   note: {note}", flush=True)


def best(trials: list[Trial]) -> Trial | None:
    passed = [t for t in trials if t.passed]
    return max(passed, key=lambda t: t.n) if passed else None


def ratio(ours: float, peer: float, *, higher_is_better: bool) -> str:
    if not ours or not peer or math.isnan(ours) or math.isnan(peer):
        return "n/a"
    return f"{(ours / peer if higher_is_better else peer / ours):,.1f}x"


def report(args, ours_kind: str, xuala: list[Trial], kuma: list[Trial], kuma_note: str,
           wrk: list[tuple[str, str, float]]) -> int:
    ob, kb = best(xuala), best(kuma)
    per_min = 60 / args.interval
    print()
    print(f"== Online Sentry: interval {args.interval} s, {args.https_share:.0%} HTTPS, "
          f"{args.engines} engine(s) on {ours_kind}; farm on the same {os.cpu_count()} cores")
    o_sites = ob.n * per_min if ob else 0
    k_sites = kb.n * 60 / kb.interval if kb else 0
    label = f"sites per minute (p99 lateness < {LATE_LIMIT:g} s)"
    print(f"{label:42} xuala {o_sites:,.0f}   uptime-kuma "
          f"{f'{k_sites:,.0f}' if kb else kuma_note or 'none passed'}   "
          f"ratio {ratio(o_sites, k_sites, higher_is_better=True)}")
    if ob is not None or kb is not None:
        ob = ob or Trial("xuala", 1, args.interval, Lateness(), 0, 1, {}, 0)
        o_cpu = ob.per_k(("engines", "database"))
        k_cpu = kb.per_k(("kuma",)) if kb else math.nan
        extra = f", database {ob.per_k(('database',)):.2f}" if "database" in ob.cpu else ""
        print(f"{'CPU-seconds per 1,000 checks':42} xuala {o_cpu:.2f} (engines "
              f"{ob.per_k(('engines',)):.2f}{extra}; farm {ob.per_k(('farm',)):.2f})   "
              f"uptime-kuma {k_cpu:.2f}"
              + (f" (farm {kb.per_k(('farm',)):.2f})" if kb else "")
              + f"   ratio {ratio(o_cpu, k_cpu, higher_is_better=False)}")
        o_mem = ob.rss / ob.n
        k_mem = kb.rss / kb.n if kb else math.nan
        print(f"{'memory per monitor':42} xuala {o_mem / 1024:,.1f} KiB "
              f"({ob.rss / 2**20:,.0f} MiB / {ob.n:,})   uptime-kuma "
              + (f"{k_mem / 1024:,.1f} KiB ({kb.rss / 2**20:,.0f} MiB / {kb.n:,})" if kb
                 else "n/a")
              + f"   ratio {ratio(o_mem, k_mem, higher_is_better=False)}")
        print(f"{'p99 lateness at that size':42} xuala {fmt_late(ob.late.p99)} (slots), "
              f"{fmt_late(ob.late.pct(99, ob.late.gaps))} (gaps)   uptime-kuma "
              + (f"{fmt_late(kb.late.p99)} (gaps)" if kb else "n/a"))
    for name, argv, rate in wrk:
        if math.isnan(rate):
            print(f"{'machine limit (wrk against the farm)':42} {name}")
        else:
            print(f"{'machine limit: ' + name:42} {rate:,.0f} req/s "
                  f"({rate * 60:,.0f} a minute)   $ {argv}")
    reached = o_sites >= GOAL
    print(f"goal {GOAL:,} sites a minute: {'REACHED' if reached else 'NOT REACHED'} "
          f"({o_sites:,.0f})")
    fails = [t for t in xuala if not t.passed]
    if fails:
        smallest = min(fails, key=lambda t: t.n)
        print(f"smallest size that failed: {smallest.n:,} (p99 {fmt_late(smallest.late.p99)}, "
              f"missed {smallest.late.missed:,} of {smallest.late.slots:,} slots)")
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--sites", type=int, help="our first trial's size (default 30,000)")
    parser.add_argument("--seconds", type=int, help="per trial, warm-up included (default 150)")
    parser.add_argument("--engines", type=int, default=2)
    parser.add_argument("--https-share", type=float, default=0.25)
    parser.add_argument("--interval", type=int, help="seconds (default 60)")
    parser.add_argument("--batch", type=int, default=10_000, help="engine --batch")
    parser.add_argument("--engine-root", metavar="DIR",
                        help="run the engines from another checkout's code (an A/B of a patch: "
                             "`python -m xuala` there imports that folder's xuala)")
    parser.add_argument("--trials", type=int, help="our trials at most (default 5)")
    parser.add_argument("--no-search", action="store_true", help="one trial per side")
    parser.add_argument("--kuma-sites", type=int, help="Kuma's first trial (default 1,000)")
    parser.add_argument("--kuma-trials", type=int, help="Kuma's trials at most (default 3)")
    parser.add_argument("--no-kuma", action="store_true")
    parser.add_argument("--kuma-only", action="store_true", help="measure only the peer")
    parser.add_argument("--no-wrk", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, a 20 s interval, one trial per side")
    parser.add_argument("--farm-process", metavar="LOG", help=argparse.SUPPRESS)
    parser.add_argument("--farm-seconds", type=float, default=3600, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.farm_process:
        return farm_process(Path(args.farm_process), args.farm_seconds)
    quick = args.quick
    args.interval = args.interval or (20 if quick else 60)
    args.seconds = args.seconds or (3 * args.interval if quick else 150)
    args.sites = args.sites or (1000 if quick else 30000)
    args.kuma_sites = args.kuma_sites or (100 if quick else 1000)
    args.trials = args.trials or (1 if quick or args.no_search else 5)
    args.kuma_trials = args.kuma_trials or (1 if quick or args.no_search else 3)
    if args.seconds < 2 * args.interval:
        parser.error("--seconds must be at least two intervals (one is the warm-up)")
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {load_average()}", flush=True)
    ours = Ours()
    xuala: list[Trial] = []
    kuma: list[Trial] = []
    kuma_note = ""
    wrk: list = []
    if not args.kuma_only:
        try:
            ours.setup()
            xuala = search(lambda n: trial_ours(ours, n, args), args.sites, args.trials,
                           floor=100, label="xuala")
        finally:
            ours.teardown()
    if not args.no_kuma:
        try:
            version = kuma_install()
            template = kuma_template()
            print(f"uptime-kuma {version}", flush=True)
            kuma = search(lambda n: trial_kuma(n, args, template), args.kuma_sites,
                          args.kuma_trials, floor=10, label="uptime-kuma")
        except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
            kuma_note = f"not measured ({str(exc).splitlines()[0][:120]})"
            print(f"uptime-kuma: {kuma_note}", flush=True)
    if not args.no_wrk:
        wrk = wrk_rates()
    code = report(args, ours.kind, xuala, kuma, kuma_note, wrk)
    print(f"load average after: {load_average()}")
    return code


if __name__ == "__main__":
    sys.exit(main())
