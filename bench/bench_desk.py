#!/usr/bin/env python
"""Benchmark: the desk over HTTP under load, beside django-helpdesk with as many tickets.

    .venv/bin/python bench/bench_desk.py [--tickets N] [--seconds S] [--concurrency C]
        [--workers W] [--warmup S] [--ours-only | --peer-only] [--reuse-data] [--seed N]

1. A fresh data folder (bench/.work/desk/xuala), `xuala migrate`, then N tickets written in
   bulk straight into their tables (default 200,000 on SQLite; 1,000,000 on PostgreSQL when
   XUALA_DATABASE_URL is set, in a database of its own named after it with `_bench`
   appended, dropped at the end). A few hundred customers, contacts and sites; ~2 %
   emergency, ~30 % priority; ~60 % resolved or closed; two messages per ticket; clock and
   queue columns set as xuala.desk.clocks.refresh_queue_fields sets them. An agent with
   a TOTP device, and a client API token.
2. The production web server, exactly as `xuala run` starts it (granian, W workers), on a
   free loopback port.
3. The agent signs in over HTTP (password, then a TOTP code); then, for S seconds each at
   concurrency C with a closed-loop load generator (bench/loadgen.py): GET /console/ (the
   queue's first page), GET /console/tickets/<random open ticket>/, and POST /api/v1/tickets
   with the client's Bearer token.
4. The peer: django-helpdesk from PyPI in its own venv (bench/.work/helpdesk-venv), a minimal
   project (bench/.work/helpdesk-project), the same number of tickets loaded through its
   models, served by the same server with the same workers, a staff user signed in over
   HTTP. Measured: its ticket list as a user waits for it (the page, then the DataTables
   JSON request that fills its table: one iteration is both, in sequence), its ticket page,
   and ticket creation through its REST API (POST /api/tickets/, token authentication).

One line per figure with both sides' p95 and the ratio (peer / ours: how many times faster
the desk is), then rps, p50, p99 and the server's CPU time per iteration, and PASS/FAIL of
our two pages against the 100 ms p95 goal (exit status 1 on FAIL). bench/README.md, section
"Desk", says more.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import loadgen  # noqa: E402

WORK = BENCH / ".work"
OURS_DIR = WORK / "desk" / "xuala"
PEER_DIR = WORK / "desk" / "helpdesk-data"
PEER_VENV = WORK / "helpdesk-venv"
PEER_PROJECT = WORK / "helpdesk-project"
PEER_SOURCE = BENCH / "helpdesk_peer"
HOST = "127.0.0.1"
GOAL_P95_MS = 100.0
PASSWORD = "bench-password-for-loopback-only"
AGENT_EMAIL = "agente-bench@modo3.net"
SAMPLE = 2000  # open tickets whose pages the load generator picks from


_T0 = time.monotonic()


def log(text: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f} s] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes

class Processes:
    """Child processes started by the benchmark; stop_all() ends each one by its pid."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: Sequence[str], *, env: dict[str, str], cwd: Path,
              log_path: Path) -> subprocess.Popen:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out = log_path.open("ab")
        popen = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.children.append((name, popen))
        return popen

    def stop(self, popen: subprocess.Popen, grace: float = 10.0) -> None:
        if popen.poll() is None:
            # The child leads its own process group (start_new_session): its workers go too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGTERM)
            try:
                popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGKILL)
                popen.wait(5)
        self.children = [(n, p) for n, p in self.children if p is not popen]

    def stop_all(self) -> None:
        for _, popen in reversed(self.children):
            self.stop(popen)


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of a process group."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # pgrp; utime and stime follow at 11 and 12
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_http(port: int, path: str, popen: subprocess.Popen, log_path: Path,
              timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise SystemExit(f"the server exited ({popen.returncode}); see {log_path}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not answer within {timeout:.0f} s")


def run_checked(argv: Sequence[str], *, env: dict[str, str], cwd: Path = ROOT,
                what: str) -> str:
    done = subprocess.run(list(argv), env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


# ---------------------------------------------------------------- a small HTTP client

class Session:
    """One cookie jar and keep-alive connection for the sign-in steps (loopback only)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        all_headers = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["Referer"] = f"http://{HOST}:{self.port}{path}"
            all_headers["Origin"] = f"http://{HOST}:{self.port}"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or not cookie_value:
                    self.cookies.pop(cookie_name.strip(), None)
                else:
                    self.cookies[cookie_name.strip()] = cookie_value
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def follow(self, method: str, path: str, form: dict[str, str] | None = None,
               limit: int = 5) -> tuple[int, str, str]:
        """Request and follow redirects (GET); the final status, path and body."""
        status, headers, text = self.request(method, path, form)
        while status in (301, 302, 303) and limit:
            location = urllib.parse.urlsplit(headers["location"])
            path = location.path + (f"?{location.query}" if location.query else "")
            status, headers, text = self.request("GET", path)
            limit -= 1
        return status, path, text


CSRF_INPUT = re.compile(r'name=["\']csrfmiddlewaretoken["\'][^>]*value=["\']([^"\']+)')


def csrf_token(html: str) -> str:
    match = CSRF_INPUT.search(html) or re.search(
        r'value=["\']([^"\']+)["\'][^>]*name=["\']csrfmiddlewaretoken', html)
    if not match:
        raise SystemExit("no CSRF token in the sign-in form")
    return match.group(1)


# ---------------------------------------------------------------- figures

@dataclass
class Figure:
    key: str
    label: str
    ours: loadgen.Result | None = None
    peer: loadgen.Result | None = None
    peer_what: str = ""
    ours_what: str = ""
    goal: bool = False
    ours_cpu_ms: float = float("nan")  # server CPU per iteration
    peer_cpu_ms: float = float("nan")


@dataclass
class Report:
    tickets: int
    database: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- our data

def postgres_url_with_name(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def postgres_params(url: str) -> dict:
    parts = urllib.parse.urlsplit(url)
    return {"host": parts.hostname or None, "port": parts.port or None,
            "user": urllib.parse.unquote(parts.username or "") or None,
            "password": urllib.parse.unquote(parts.password or "") or None,
            "autocommit": True}


def postgres_recreate(url: str, name: str, *, drop_only: bool = False) -> None:
    """Drop (and create) database ``name`` on the server of ``url``."""
    import psycopg

    params = postgres_params(url)
    own = urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))
    try:  # the URL's own database as the maintenance one, else "postgres"
        conn = psycopg.connect(dbname=own or "postgres", **params)
    except psycopg.OperationalError:
        conn = psycopg.connect(dbname="postgres", **params)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def saved_name(database_url: str) -> str:
    """Where a run records what it loaded (one file per kind of database)."""
    return "bench-data-postgresql.json" if database_url else "bench-data.json"


def postgres_exists(base_url: str, name: str) -> bool:
    import psycopg

    params = postgres_params(base_url)
    with psycopg.connect(dbname="postgres", **params) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (name,)).fetchone() is not None


def bench_policy() -> Path:
    """The default policy with the REST API among the accepted channels: the default policy
    (§3) takes requests only through the client area and the support address, so client API
    tickets would be refused (channel_not_accepted) and the bench would measure 403s."""
    text = (ROOT / "xuala" / "policy" / "default_policy.toml").read_text(encoding="utf-8")
    accepted = 'accepted = ["portal", "email"]'
    if accepted not in text:
        raise SystemExit("the default policy's [channels] accepted line has changed")
    path = OURS_DIR.parent / "bench_policy.toml"  # beside the data folder, which is remade
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(accepted, 'accepted = ["portal", "email", "api"]'),
                    encoding="utf-8")
    return path


def ours_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "xuala.settings",
        "XUALA_DATA_DIR": str(OURS_DIR),
        "XUALA_DATABASE_URL": database_url,
        "XUALA_LOG_LEVEL": "WARNING",
        "XUALA_DEBUG": "0",
        # Sign-in is part of the set-up, not of the measurement: no lock-out on a retry.
        "XUALA_LOGIN_FAILURE_LIMIT": "50",
        "XUALA_POLICY": str(bench_policy()),
    })
    return env


@dataclass
class OursData:
    open_ids: list[int]
    agent_email: str
    totp_key: str  # hex
    client_email: str
    client_token: str
    seconds: float
    counts: dict[str, int]


class RowWriter:
    """Rows of one model written in bulk straight to its table (COPY on PostgreSQL,
    executemany on SQLite): the ORM's bulk_create spends most of its time building model
    instances, which a million rows cannot afford.

    Each row names its fields by attname; a field left out takes its default (auto_now
    fields: the load's ``now``); a required field without a default is an error. The
    primary key is given (with_pk) or left to the database.
    """

    def __init__(self, model, connection, now: datetime, *, with_pk: bool = False) -> None:
        from django.db.models import NOT_PROVIDED

        self.connection = connection
        self.table = model._meta.db_table
        # Without with_pk the database numbers the rows.
        self.fields = [f for f in model._meta.concrete_fields
                       if with_pk or not f.primary_key]
        self.defaults: dict[str, object] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            elif f.default is not NOT_PROVIDED or f.null or f.empty_strings_allowed:
                self.defaults[f.attname] = f.get_default()  # "" for text, None for nullable
        self.postgres = connection.vendor == "postgresql"
        self.rows: list[tuple] = []
        self.written = 0

    def _adapt(self, value: object) -> object:
        if isinstance(value, dict | list):
            return json.dumps(value)
        if self.postgres:
            return value
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def add(self, **values: object) -> None:
        row = []
        for f in self.fields:
            if f.attname in values:
                value = values[f.attname]
            elif f.attname in self.defaults:
                value = self.defaults[f.attname]
            else:
                raise KeyError(f"{self.table}.{f.column} needs a value")
            row.append(self._adapt(value))
        self.rows.append(tuple(row))

    def flush(self) -> None:
        if not self.rows:
            return
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in self.fields)
                cursor.cursor.executemany(
                    f'INSERT INTO "{self.table}" ({columns}) VALUES ({marks})', self.rows)
        self.written += len(self.rows)
        self.rows = []


def reset_sequences(connection, models: list) -> None:
    """After rows with explicit ids: the next id of each table follows the largest."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def load_ours(n: int, seed: int) -> OursData:
    """Bulk-load ``n`` tickets into the (migrated) database the environment points at."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xuala.accounts.models import Role, User
    from xuala.core.html import text_to_html
    from xuala.customers.models import (
        Billing,
        Contact,
        Contract,
        Customer,
        HostingServer,
        Service,
        ServiceKind,
        Site,
    )
    from xuala.desk.clocks import policy_of_version
    from xuala.desk.models import (
        Channel,
        Message,
        MessageKind,
        Status,
        Ticket,
        TicketEvent,
        TicketPause,
        TriageState,
    )
    from xuala.policy.schema import TicketClass
    from xuala.policy.services import policy_version_record
    from xuala.policy.sla import sla_times

    rng = random.Random(seed)
    now = timezone.now()
    t0 = time.perf_counter()
    version = policy_version_record()
    loaded = policy_of_version(version)
    policy = loaded.policy
    hashed = make_password(PASSWORD)  # one hash for every bench user: argon2 is slow on purpose

    # Customers, their contacts, services, sites and (for about a third) a plan.
    n_customers = 300
    servers = HostingServer.objects.bulk_create([
        HostingServer(name=f"xc-web-{i:02d}", hostname=f"xc-web-{i:02d}.xuala.net")
        for i in range(1, 7)])
    customers = Customer.objects.bulk_create([
        Customer(name=f"Empresa {i:03d} S.L.", tax_id=f"B{10000000 + i}",
                 language="en" if rng.random() < 0.1 else "es",
                 created_at=now - timedelta(days=rng.randrange(30, 2000)))
        for i in range(n_customers)])
    users, contact_customers = [], []
    for i, customer in enumerate(customers):
        for j in range(1 + (rng.random() < 0.5)):
            users.append(User(email=f"contacto{j}@empresa{i:03d}.example", password=hashed,
                              name=f"Contacto {j} de {customer.name}", role=Role.CLIENT,
                              language=customer.language))
            contact_customers.append(customer)
    users = User.objects.bulk_create(users)
    Contact.objects.bulk_create([
        Contact(user=user, customer=customer, is_primary=user.email.startswith("contacto0"))
        for user, customer in zip(users, contact_customers, strict=True)])
    contacts_of: dict[int, list[User]] = {}
    for user, customer in zip(users, contact_customers, strict=True):
        contacts_of.setdefault(customer.pk, []).append(user)
    start = datetime(2020, 1, 1).date()
    services = Service.objects.bulk_create(
        [Service(customer=c, kind=ServiceKind.WEB_HOSTING, name=f"empresa{i:03d}.example",
                 server=servers[i % len(servers)], starts_on=start)
         for i, c in enumerate(customers)]
        + [Service(customer=c, kind=ServiceKind.MAIL, name=f"empresa{i:03d}.example",
                   server=servers[i % len(servers)], starts_on=start)
           for i, c in enumerate(customers)])
    hosting_of = {s.customer_id: s for s in services if s.kind == ServiceKind.WEB_HOSTING}
    sites = []
    for i, customer in enumerate(customers):
        for k in range(1 + rng.randrange(3)):
            prefix = "www" if k == 0 else f"tienda{k}"
            sites.append(Site(customer=customer, service=hosting_of[customer.pk],
                              server=hosting_of[customer.pk].server,
                              url=f"https://{prefix}.empresa{i:03d}.example/"))
    sites = Site.objects.bulk_create(sites)
    sites_of: dict[int, list[Site]] = {}
    for site in sites:
        sites_of.setdefault(site.customer_id, []).append(site)
    plan_customers = [c for c in customers if rng.random() < 0.35]
    contracts = []
    for customer in plan_customers:
        plan = rng.choice(policy.plans)
        contracts.append(Contract(customer=customer, plan_key=plan.key,
                                  billing=Billing(plan.billing.value), starts_on=start))
    Contract.objects.bulk_create(contracts)
    other_customers = [c for c in customers if c not in set(plan_customers)]

    # Agents: the one that signs in (with a TOTP device) and a few more to assign.
    agent = User.objects.create_user(AGENT_EMAIL, PASSWORD, name="Agente Bench", role=Role.AGENT)
    device = TOTPDevice.objects.create(user=agent, name="bench", confirmed=True)
    agents = [agent, *User.objects.bulk_create([
        User(email=f"agente{i}@modo3.net", password=hashed, name=f"Agente {i}", role=Role.AGENT)
        for i in range(5)])]
    setup_seconds = time.perf_counter() - t0

    categories = [rule.key for rule in policy.scope]
    subjects = ["La web no carga", "Error 500 en la tienda", "No recibo correo",
                "Certificado caducado", "Cambiar DNS del dominio", "WordPress muy lento",
                "Copia de seguridad", "Spam en el buzón", "No puedo entrar en el panel",
                "Actualizar PHP", "Formulario de contacto roto", "Migrar a otro servidor",
                "Cuota de disco llena", "Redirección incorrecta"]
    client_bodies = [
        ("Hola,\n\nDesde esta mañana la página {n} muestra un error al abrirla. Hemos "
         "probado desde varios ordenadores y redes y pasa lo mismo. ¿Podéis revisarlo?"
         "\n\nGracias,\nUn cliente"),
        ("Buenas tardes,\n\nLos correos que enviamos a clientes vuelven con un aviso de "
         "entrega fallida desde ayer (caso {n}). Adjuntamos el mensaje devuelto.\n\nSaludos"),
        ("Hola equipo,\n\nNecesitamos ayuda con la configuración del dominio {n}: el registro "
         "MX no parece correcto y el panel no deja cambiarlo.\n\nUn saludo"),
    ]
    reply_text = ("Hola,\n\nGracias por avisarnos. Lo hemos revisado y ya está corregido; si "
                  "vuelve a pasar, respondednos a este mensaje.\n\nUn saludo,\nSoporte")
    reply_html = text_to_html(reply_text)
    ack_text = ("Hemos recibido su solicitud y la atenderemos dentro de los plazos de la "
                "política de asistencia técnica.")
    ack_html = text_to_html(ack_text)
    active_statuses = [(Status.NEW, 0.25), (Status.OPEN, 0.35),
                       (Status.WAITING_CLIENT, 0.25), (Status.WAITING_QUOTE, 0.08),
                       (Status.MEETING, 0.07)]
    paused_statuses = {Status.WAITING_CLIENT, Status.WAITING_QUOTE, Status.MEETING}
    stage_leads = {cls: policy.targets.for_class(cls) for cls in TicketClass}

    def pick_status() -> Status:
        draw, total = rng.random(), 0.0
        for status, share in active_statuses:
            total += share
            if draw < total:
                return status
        return Status.OPEN

    def stages(cls: TicketClass, target_at: datetime, due_at: datetime) -> list[datetime]:
        # The instants of xuala.desk.clocks.sla_stages, in order.
        target = stage_leads[cls]
        times = [target_at - lead for lead in target.warn_before] + [target_at]
        if due_at != target_at:
            times += [due_at - lead for lead in target.warn_before]
        times.append(due_at)
        return sorted(times)

    tickets_out = RowWriter(Ticket, connection, now, with_pk=True)
    messages_out = RowWriter(Message, connection, now)
    events_out = RowWriter(TicketEvent, connection, now)
    pauses_out = RowWriter(TicketPause, connection, now)
    done_statuses = {Status.RESOLVED, Status.CLOSED}
    open_ids: list[int] = []
    seen_open = 0
    batch = 5000
    made = 0
    t1 = time.perf_counter()
    while made < n:
        size = min(batch, n - made)
        for i in range(made, made + size):
            pk = i + 1
            draw = rng.random()
            cls = (TicketClass.EMERGENCY if draw < 0.02 else
                   TicketClass.PRIORITY if draw < 0.32 else TicketClass.STANDARD)
            customer = rng.choice(plan_customers if cls != TicketClass.STANDARD
                                  else other_customers if rng.random() < 0.8 else customers)
            done = rng.random() < (0.97 if cls == TicketClass.EMERGENCY else 0.5924)
            if done:
                received = now - timedelta(seconds=rng.uniform(3 * 86400, 730 * 86400))
                status = Status.RESOLVED if rng.random() < 0.45 else Status.CLOSED
            else:
                received = now - timedelta(seconds=21 * 86400 * rng.random() ** 2)
                status = pick_status()
            times = sla_times(loaded=loaded, received=received, ticket_class=cls)
            target_at, due_at = times.target_at, times.due_at
            contact = rng.choice(contacts_of[customer.pk])
            site = rng.choice(sites_of[customer.pk]) if rng.random() < 0.8 else None
            channel = (Channel.SENTRY if cls == TicketClass.EMERGENCY and rng.random() < 0.5
                       else Channel.EMAIL if rng.random() < 0.4 else Channel.PORTAL)
            first_response = assignee = paused_since = resolved_at = None
            if status != Status.NEW:
                span = max(600.0, (due_at - received).total_seconds())
                first_response = min(now, received + timedelta(
                    seconds=rng.uniform(300, 1.2 * span)))
                if rng.random() < 0.85:
                    assignee = rng.choice(agents)
            if status == Status.OPEN and rng.random() < 0.5:
                first_response = None  # reopened or taken, not yet answered
            paused = status in paused_statuses
            if paused:
                paused_since = min(now, first_response + timedelta(seconds=rng.uniform(60, 3600)))
            if done:
                resolved_at = min(now, first_response
                                  + timedelta(seconds=rng.uniform(3600, 5 * 86400)))
            # Clock and queue columns as refresh_queue_fields derives them.
            target_missed = breached = sla_next = None
            sla_stage = 0
            if first_response is not None:
                target_missed = target_at if first_response > target_at else None
                breached = due_at if first_response > due_at else None
            elif not done and not paused:
                # A running clock: the SLA sweep has acted on every stage already past.
                instants = stages(cls, target_at, due_at)
                sla_stage = sum(1 for at in instants if at <= now)
                sla_next = instants[sla_stage] if sla_stage < len(instants) else None
                target_missed = target_at if target_at <= now else None
                breached = due_at if due_at <= now else None
            tickets_out.add(
                id=pk, customer_id=customer.pk, contact_id=contact.pk, channel=channel.value,
                category=rng.choice(categories), subject=f"{rng.choice(subjects)} ({pk})",
                site_id=site.pk if site else None, service_id=hosting_of[customer.pk].pk,
                ticket_class=cls.value, status=status.value,
                assignee_id=assignee.pk if assignee else None, language=customer.language,
                policy_version_id=version.pk, received_at=received, target_at=target_at,
                due_at=due_at, paused_since=paused_since, first_response_at=first_response,
                target_missed_at=target_missed, breached_at=breached, resolved_at=resolved_at,
                sla_next_at=sla_next, sla_stage=sla_stage,
                queue_rank=(3 if done else 2 if paused else
                            0 if cls == TicketClass.EMERGENCY else 1),
                class_rank=0 if cls != TicketClass.STANDARD else 1,
                triage_rule="hosting", triage_decision="covered", triage_clause="3",
                triage_state=TriageState.APPLIED.value, created_at=received,
                updated_at=resolved_at or first_response or received,
            )
            body = rng.choice(client_bodies).format(n=pk)
            messages_out.add(ticket_id=pk, kind=MessageKind.CLIENT.value, author_id=contact.pk,
                             body_text=body, body_html=text_to_html(body), created_at=received,
                             channel=channel.value)
            if first_response is not None:
                messages_out.add(ticket_id=pk, kind=MessageKind.REPLY.value,
                                 author_id=assignee.pk if assignee else None,
                                 body_text=reply_text, body_html=reply_html,
                                 created_at=first_response, channel=Channel.AGENT.value)
            else:
                messages_out.add(ticket_id=pk, kind=MessageKind.AUTO.value, author_id=None,
                                 body_text=ack_text, body_html=ack_html, created_at=received,
                                 channel=Channel.PORTAL.value)
            events_out.add(ticket_id=pk, key="ticket.opened", actor_id=contact.pk, at=received,
                           data={"channel": channel.value, "policy_version": version.pk,
                                 "ticket_class": cls.value})
            if paused_since is not None:
                pauses_out.add(ticket_id=pk, started_at=paused_since, ended_at=None,
                               reason=status.value)
            if status not in done_statuses:
                seen_open += 1  # reservoir sample of the active tickets
                if len(open_ids) < SAMPLE:
                    open_ids.append(pk)
                elif (j := rng.randrange(seen_open)) < SAMPLE:
                    open_ids[j] = pk
        with transaction.atomic():
            for writer in (tickets_out, messages_out, events_out, pauses_out):
                writer.flush()
        made += size
        if made % 50_000 < batch:
            log(f"  {made:,} tickets loaded ({time.perf_counter() - t1:.0f} s)")
    reset_sequences(connection, [Ticket])
    counts = {"tickets": tickets_out.written, "messages": messages_out.written,
              "events": events_out.written, "pauses": pauses_out.written}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - t0
    log(f"loaded {n:,} tickets in {seconds:.1f} s (set-up {setup_seconds:.1f} s)")
    client = contacts_of[plan_customers[0].pk][0]
    return OursData(open_ids=open_ids, agent_email=agent.email, totp_key=device.key,
                    client_email=client.email, client_token="", seconds=seconds,
                    counts=counts)


def api_token_create(env: dict[str, str], email: str) -> str:
    """A client API token through the operator's command (`xuala api token create`)."""
    out = run_checked(xuala_argv("api", "token", "create", "--user", email), env=env,
                      what="xuala api token create")
    token = out.strip()  # the secret alone on stdout (its prefix and notice go to stderr)
    if not token or len(token.split()) != 1:
        raise SystemExit(f"no token in the output of `xuala api token create`:\n{out}")
    return token


def xuala_argv(*args: str) -> list[str]:
    command = Path(sys.executable).parent / "xuala"
    if command.exists():
        return [str(command), *args]
    return [sys.executable, "-m", "xuala", *args]


def web_argv(port: int, workers: int) -> list[str]:
    """The web process exactly as `xuala run` starts it."""
    from xuala.core.processes import desk_processes

    spec = next(s for s in desk_processes(host=HOST, port=port, web_workers=workers)
                if s.name == "web")
    return list(spec.argv)


# ---------------------------------------------------------------- signing in

def totp_code(key_hex: str) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex)):06d}"


def sign_in_agent(port: int, email: str, key_hex: str) -> Session:
    """The console's two steps, as a browser takes them: /console/ sends to /console/login/
    (e-mail and password), which sends to /console/2fa/ (a TOTP code), which sends back."""
    session = Session(port)
    status, path, html = session.follow("GET", "/console/")
    if status != 200 or not path.startswith("/console/login/"):
        raise SystemExit(f"/console/ did not lead to the sign-in form ({status} {path})")
    form = {"csrfmiddlewaretoken": csrf_token(html), "username": email, "password": PASSWORD}
    status, path, html = session.follow("POST", path, form)
    for attempt in range(3):
        if not path.startswith("/console/2fa/"):
            break
        if attempt:
            # A code is accepted once: after a run within the same 30 s, wait for the next.
            time.sleep(30.5 - time.time() % 30)
        form = {"csrfmiddlewaretoken": csrf_token(html), "token": totp_code(key_hex)}
        status, path, html = session.follow("POST", path, form)
    if status != 200 or path != "/console/":
        raise SystemExit(f"the agent could not sign in to the console ({status} {path})")
    return session


def sign_in_peer(port: int, username: str, password: str) -> tuple[Session, str]:
    """django-helpdesk's own sign-in form; the session and the ticket list page's HTML."""
    session = Session(port)
    status, path, html = session.follow("GET", "/login/")
    if status != 200:
        raise SystemExit(f"django-helpdesk's sign-in page answered {status}")
    form = {"csrfmiddlewaretoken": csrf_token(html), "username": username,
            "password": password, "next": "/tickets/"}
    status, path, html = session.follow("POST", "/login/", form)
    status, path, html = session.follow("GET", "/tickets/")
    if status != 200 or path != "/tickets/":
        raise SystemExit(f"the staff user could not sign in to django-helpdesk ({status} {path})")
    return session, html


# ---------------------------------------------------------------- measuring

def expect_json_created(status: int, body: bytes) -> str | None:
    if status != 201:
        return f"expected 201 Created, got {status}"
    try:
        json.loads(body)
    except ValueError:
        return "the answer is not JSON"
    return None


def measure(figure_label: str, port: int, scenario: loadgen.Scenario,
            args: argparse.Namespace, server_pgid: int) -> tuple[loadgen.Result, float]:
    """The load generator's result, and the server's CPU milliseconds per iteration."""
    log(f"measuring {figure_label} for {args.seconds:g} s at concurrency {args.concurrency}")
    cpu_before = group_cpu_seconds(server_pgid)
    result = loadgen.run(host=HOST, port=port, scenario=scenario, seconds=args.seconds,
                         concurrency=args.concurrency, warmup_seconds=args.warmup,
                         max_iterations=args.max_requests, seed=args.seed,
                         min_iterations=2 * args.concurrency)
    cpu = group_cpu_seconds(server_pgid) - cpu_before
    cpu_ms = 1000 * cpu / result.all_iterations if result.all_iterations else float("nan")
    log(f"  {result.summary()} server-cpu={cpu_ms:.1f}ms/iteration")
    for sample in result.error_samples:
        log(f"  error: {sample}")
    return result, cpu_ms


def run_ours(args: argparse.Namespace, report: Report, procs: Processes,
             database_url: str) -> None:
    env = ours_env(database_url)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "XUALA_DATA_DIR",
                                           "XUALA_DATABASE_URL", "XUALA_LOG_LEVEL",
                                           "XUALA_DEBUG", "XUALA_POLICY")})
    saved = OURS_DIR / saved_name(database_url)
    data = None
    if args.reuse_data and saved.exists():
        data = OursData(**json.loads(saved.read_text()))
        if data.counts["tickets"] != args.tickets:
            data = None
    if data is not None:
        log(f"xuala: reusing the data of the last run ({OURS_DIR})")
        report.notes.append(f"xuala: data reused from the last run (loaded in "
                            f"{data.seconds:.1f} s), tickets created by earlier runs included")
    else:
        shutil.rmtree(OURS_DIR, ignore_errors=True)
        OURS_DIR.mkdir(parents=True)
        log("xuala: migrating a fresh database")
        t0 = time.perf_counter()
        run_checked(xuala_argv("migrate", "--noinput"), env=env, what="xuala migrate")
        report.notes.append(f"xuala migrate: {time.perf_counter() - t0:.1f} s")
        data = load_ours(args.tickets, args.seed)
        report.notes.append(
            f"xuala bulk load: {data.seconds:.1f} s for {data.counts['tickets']:,} tickets, "
            f"{data.counts['messages']:,} messages, {data.counts['events']:,} events, "
            f"{data.counts['pauses']:,} pauses")
        data.client_token = api_token_create(env, data.client_email)
        saved.write_text(json.dumps(data.__dict__))

    port = free_port()
    argv = web_argv(port, args.workers)
    log_path = OURS_DIR / "web.log"
    report.notes.append(f"xuala server: {shlex.join(argv)}")
    popen = procs.start("xuala-web", argv, env=env, cwd=ROOT, log_path=log_path)
    try:
        wait_http(port, "/healthz", popen, log_path)
        session = sign_in_agent(port, data.agent_email, data.totp_key)
        cookie = {"Cookie": session.cookie_header()}
        open_ids = data.open_ids

        def queue_page(worker: int, rng: random.Random) -> list[loadgen.Request]:
            return [loadgen.Request("GET", "/console/", headers=cookie)]

        def ticket_page(worker: int, rng: random.Random) -> list[loadgen.Request]:
            return [loadgen.Request("GET", f"/console/tickets/{rng.choice(open_ids)}/",
                                    headers=cookie)]

        api_headers = {"Authorization": f"Bearer {data.client_token}",
                       "Content-Type": "application/json", "Accept": "application/json"}

        def create_ticket(worker: int, rng: random.Random) -> list[loadgen.Request]:
            body = json.dumps({
                "subject": f"La web no carga (bench {worker}-{rng.randrange(10**9)})",
                "body": "Hola,\n\nDesde esta mañana la página muestra un error 500.\n\nGracias",
            }).encode()
            return [loadgen.Request("POST", "/api/v1/tickets", body=body, headers=api_headers,
                                    expect=expect_json_created)]

        for figure in report.figures:
            scenario = {"queue": queue_page, "ticket": ticket_page,
                        "create": create_ticket}[figure.key]
            figure.ours_what = {"queue": "GET /console/",
                                "ticket": "GET /console/tickets/<random active ticket>/",
                                "create": "POST /api/v1/tickets (Bearer token)"}[figure.key]
            figure.ours, figure.ours_cpu_ms = measure(f"xuala {figure.label}", port, scenario,
                                                      args, popen.pid)
    finally:
        procs.stop(popen)


def peer_python() -> Path:
    return PEER_VENV / "bin" / "python"


def ensure_peer_venv(postgres: bool) -> None:
    requirements = [PEER_SOURCE / "requirements.txt"]
    if postgres:
        requirements.append(PEER_SOURCE / "requirements-postgresql.txt")
    wanted = "".join(p.read_text() for p in requirements)
    stamp = PEER_VENV / ".bench-requirements"
    if peer_python().exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    log("django-helpdesk: installing it from PyPI into its own venv (once)")
    if not peer_python().exists():
        run_checked(["python3", "-m", "venv", str(PEER_VENV)], env=dict(os.environ),
                    what="creating the peer venv")
    pip = [str(peer_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for path in requirements:
        pip += ["-r", str(path)]
    run_checked(pip, env=dict(os.environ), what="pip install django-helpdesk")
    stamp.write_text(wanted)


def peer_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XUALA_", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "helpdesk_bench.settings",
                "HELPDESK_BENCH_DIR": str(PEER_DIR),
                "HELPDESK_BENCH_DATABASE_URL": database_url,
                "PYTHONPATH": str(PEER_PROJECT)})
    return env


def peer_version() -> str:
    out = run_checked([str(peer_python()), "-c",
                       "import importlib.metadata as m; print(m.version('django-helpdesk'), "
                       "m.version('Django'))"], env=dict(os.environ), what="peer version")
    helpdesk, django_version = out.split()
    return f"django-helpdesk {helpdesk} on Django {django_version}"


def run_peer(args: argparse.Namespace, report: Report, procs: Processes,
             database_url: str) -> None:
    ensure_peer_venv(bool(database_url))
    report.notes.append(f"peer: {peer_version()}")
    env = peer_env(database_url)
    python = str(peer_python())
    saved = PEER_DIR / "bench-data.json"
    data = None
    if args.reuse_data and saved.exists() and (PEER_PROJECT / "load.py").exists():
        data = json.loads(saved.read_text())
        if data["loaded_tickets"] != args.tickets:
            data = None
    if data is not None:
        log(f"django-helpdesk: reusing the data of the last run ({PEER_DIR})")
        report.notes.append("django-helpdesk: data reused from the last run")
    else:
        shutil.rmtree(PEER_PROJECT, ignore_errors=True)
        package = PEER_PROJECT / "helpdesk_bench"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        for name in ("settings.py", "urls.py", "wsgi.py"):
            shutil.copy(PEER_SOURCE / name, package / name)
        for name in ("manage.py", "load.py"):
            shutil.copy(PEER_SOURCE / name, PEER_PROJECT / name)
        shutil.rmtree(PEER_DIR, ignore_errors=True)
        PEER_DIR.mkdir(parents=True)
        (PEER_DIR / "secret_key").write_text(secrets.token_urlsafe(50))
        log("django-helpdesk: migrating a fresh database")
        t0 = time.perf_counter()
        run_checked([python, "manage.py", "migrate", "--noinput"], env=env, cwd=PEER_PROJECT,
                    what="django-helpdesk migrate")
        report.notes.append(f"django-helpdesk migrate: {time.perf_counter() - t0:.1f} s")
        log(f"django-helpdesk: bulk-loading {args.tickets:,} tickets")
        out = run_checked([python, "load.py", "--tickets", str(args.tickets), "--seed",
                           str(args.seed)], env=env, cwd=PEER_PROJECT,
                          what="django-helpdesk bulk load")
        data = json.loads(out.strip().splitlines()[-1])
        data["loaded_tickets"] = args.tickets
        saved.write_text(json.dumps(data))
        report.notes.append(f"django-helpdesk bulk load: {data['seconds']:.1f} s for "
                            f"{data['tickets']:,} tickets, {2 * data['tickets']:,} follow-ups")
        log(f"loaded {data['tickets']:,} tickets in {data['seconds']:.1f} s")

    port = free_port()
    argv = [python if a == sys.executable else a for a in web_argv(port, args.workers)]
    argv[-1] = "helpdesk_bench.wsgi:application"
    log_path = PEER_DIR / "web.log"
    report.notes.append(f"django-helpdesk server: {shlex.join(argv)}")
    popen = procs.start("helpdesk-web", argv, env=env, cwd=PEER_PROJECT, log_path=log_path)
    try:
        wait_http(port, "/login/", popen, log_path)
        session, list_html = sign_in_peer(port, data["username"], data["password"])
        cookie = {"Cookie": session.cookie_header()}
        match = re.search(r'"url":\s*"(/datatables_ticket_list/[^"]*)"', list_html)
        if not match:
            raise SystemExit("no DataTables URL in django-helpdesk's ticket list page")
        per_page = re.search(r"data-page-length='(\d+)'", list_html)
        length = per_page.group(1) if per_page else "25"
        # What DataTables (serverSide, order: []) asks for to draw the first page.
        table_url = match.group(1) + "?" + urllib.parse.urlencode(
            {"draw": "1", "start": "0", "length": length, "search[value]": "",
             "search[regex]": "false"})
        ajax = {**cookie, "X-Requested-With": "XMLHttpRequest",
                "Accept": "application/json, text/javascript, */*; q=0.01"}
        open_ids = data["open_ids"]

        def expect_rows(status: int, body: bytes) -> str | None:
            try:
                rows = json.loads(body)["data"]
            except (ValueError, KeyError):
                return "the DataTables answer is not its JSON"
            return None if rows else "the DataTables answer has no rows"

        def list_page(worker: int, rng: random.Random) -> list[loadgen.Request]:
            return [loadgen.Request("GET", "/tickets/", headers=cookie),
                    loadgen.Request("GET", table_url, headers=ajax, expect=expect_rows)]

        def ticket_page(worker: int, rng: random.Random) -> list[loadgen.Request]:
            return [loadgen.Request("GET", f"/tickets/{rng.choice(open_ids)}/",
                                    headers=cookie)]

        api_headers = {"Authorization": f"Token {data['token']}",
                       "Content-Type": "application/json", "Accept": "application/json"}

        def create_ticket(worker: int, rng: random.Random) -> list[loadgen.Request]:
            body = json.dumps({
                "queue": data["queue_id"],
                "title": f"La web no carga (bench {worker}-{rng.randrange(10**9)})",
                "description": "Hola,\n\nDesde esta mañana la página muestra un error 500."
                               "\n\nGracias",
                "submitter_email": "cliente1@empresa1.example",
                "priority": 3,
            }).encode()
            return [loadgen.Request("POST", "/api/tickets/", body=body, headers=api_headers,
                                    expect=expect_json_created)]

        for figure in report.figures:
            scenario = {"queue": list_page, "ticket": ticket_page,
                        "create": create_ticket}[figure.key]
            figure.peer_what = {
                "queue": (f"GET /tickets/ then GET {match.group(1)[:24]}…?draw=1&start=0"
                          f"&length={length} (its table's rows), in sequence"),
                "ticket": "GET /tickets/<random open ticket>/",
                "create": "POST /api/tickets/ (REST framework token)"}[figure.key]
            figure.peer, figure.peer_cpu_ms = measure(f"django-helpdesk {figure.label}", port,
                                                      scenario, args, popen.pid)
    finally:
        procs.stop(popen)


# ---------------------------------------------------------------- report

def ms(value: float) -> str:
    return "  n/a" if value != value else f"{value:.1f} ms"


def print_report(report: Report, args: argparse.Namespace, command: str) -> bool:
    size = f"{report.tickets:,} tickets"
    print()
    print(f"Desk benchmark: {size} on {report.database}; {args.workers} web workers (granian); "
          f"closed loop, concurrency {args.concurrency}, {args.seconds:g} s per figure after "
          f"{args.warmup:g} s warm-up")
    print(f"command: {command}")
    print()
    width = max(len(f"desk {f.label} p95 ({size})") for f in report.figures) + 3
    for figure in report.figures:
        head = f"desk {figure.label} p95 ({size})".ljust(width)
        ours = figure.ours.p95 if figure.ours else float("nan")
        line = f"{head}xuala {ms(ours):>10}" if figure.ours else head
        if figure.peer is not None:
            peer = figure.peer.p95
            line += f"   django-helpdesk {ms(peer):>10}"
            if ours == ours and ours > 0 and peer == peer:
                line += f"   ratio {peer / ours:.1f}x"
        print(line)
    print()
    for figure in report.figures:
        for side, result, what, cpu_ms in (
                ("xuala", figure.ours, figure.ours_what, figure.ours_cpu_ms),
                ("django-helpdesk", figure.peer, figure.peer_what, figure.peer_cpu_ms)):
            if result is None:
                continue
            print(f"  {figure.label:<22} {side:<16} {result.summary()} "
                  f"server-cpu={cpu_ms:.1f}ms")
            print(f"  {'':<22} {'':<16} measured: {what}")
            if len(result.steps_ms) > 1:
                parts = ", ".join(f"request {k + 1} p50 {result.step_percentile(k, 50):.1f} ms "
                                  f"p95 {result.step_percentile(k, 95):.1f} ms"
                                  for k in range(len(result.steps_ms)))
                print(f"  {'':<22} {'':<16} {parts}")
            for sample in result.error_samples:
                print(f"  {'':<22} {'':<16} error: {sample}")
    print()
    passed = True
    for figure in report.figures:
        if not figure.goal or args.peer_only:
            continue
        result = figure.ours
        ok = (result is not None and result.errors == 0 and result.count > 0
              and result.p95 < GOAL_P95_MS)
        passed &= ok
        p95 = result.p95 if result else float("nan")
        errors = f", {result.errors} errors" if result and result.errors else ""
        print(f"goal: xuala {figure.label} p95 {ms(p95)} < {GOAL_P95_MS:.0f} ms{errors}: "
              f"{'PASS' if ok else 'FAIL'}")
    print()
    for note in report.notes:
        print(f"  {note}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=None,
                        help="tickets to load (default 200,000; 1,000,000 on PostgreSQL)")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per figure")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds first")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="web server worker processes")
    parser.add_argument("--max-requests", type=int, default=200_000,
                        help="upper bound on iterations per figure")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ours-only", action="store_true", help="skip django-helpdesk")
    parser.add_argument("--peer-only", action="store_true", help="skip Xuala Desk")
    parser.add_argument("--reuse-data", action="store_true",
                        help="measure again on the data of the last run when it has as many "
                             "tickets (no migrate, no load); on PostgreSQL our database is "
                             "then kept at the end for the next run")
    args = parser.parse_args()
    command = shlex.join([os.path.relpath(sys.executable, ROOT)
                          if sys.executable.startswith(str(ROOT)) else sys.executable,
                          os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    base_url = os.environ.get("XUALA_DATABASE_URL", "")
    if args.tickets is None:
        args.tickets = 1_000_000 if base_url else 200_000
    report = Report(tickets=args.tickets, database="PostgreSQL" if base_url else "SQLite")
    report.figures = [Figure("queue", "queue page", goal=True),
                      Figure("ticket", "ticket page", goal=True),
                      Figure("create", "ticket creation (API)")]
    ours_url = peer_url = ""
    procs = Processes()
    # A plain `kill` of the benchmark still stops its servers (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    try:
        if base_url:
            base_name = urllib.parse.unquote(urllib.parse.urlsplit(base_url).path.lstrip("/"))
            ours_url = postgres_url_with_name(base_url, f"{base_name}_bench")
            if not args.peer_only and not (args.reuse_data
                                           and postgres_exists(base_url, f"{base_name}_bench")):
                postgres_recreate(base_url, f"{base_name}_bench")
                (OURS_DIR / saved_name(ours_url)).unlink(missing_ok=True)
            if not args.ours_only:
                peer_url = postgres_url_with_name(base_url, f"{base_name}_bench_helpdesk")
                postgres_recreate(base_url, f"{base_name}_bench_helpdesk")
        if not args.peer_only:
            run_ours(args, report, procs, ours_url)
        if not args.ours_only:
            run_peer(args, report, procs, peer_url)
    finally:
        procs.stop_all()
        if base_url:
            from django.db import connections

            connections.close_all()
            keep = args.peer_only or args.reuse_data
            for url in (ours_url if not keep else "", peer_url):
                if url:
                    name = urllib.parse.urlsplit(url).path.lstrip("/")
                    postgres_recreate(base_url, urllib.parse.unquote(name), drop_only=True)
    report.notes.append(f"total time: {time.perf_counter() - started:.0f} s")
    report.notes.append(
        f"machine: {os.cpu_count()} cores; 1-minute load average {load_before:.2f} before the "
        f"run, {os.getloadavg()[0]:.2f} after (anything else running skews the figures)")
    passed = print_report(report, args, command)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
