#!/usr/bin/env python
"""Benchmark: the mail intake, SMTP DATA to committed ticket, beside django-helpdesk's get_email.

    .venv/bin/python bench/bench_mail.py [--messages N] [--connections C] [--warmup W]
        [--rate R] [--seed N] [--timeout S] [--listener-processes P]
        [--ours-only | --peer-only] [--profile] [--write-corpus]

1. A seeded corpus of N messages (default 1,000) built from the .eml fixtures of
   tests/intake/fixtures/eml (tests.intake.corpus) with rewritten senders, Message-IDs and
   threading headers: new requests (plain, HTML, some with a small attachment) from 50
   client contacts, replies to earlier messages of the same contact, wrong-channel mail,
   strangers, a lapsed client, automatic mail, bounces and a few malformed messages.
2. Ours: a fresh data folder (bench/.work/mail/xuala; on PostgreSQL, when XUALA_DATABASE_URL
   is set, a database named after it with `_mailbench` appended, dropped at the end),
   `xuala migrate`, the 50 customers with contacts and active services (plus the lapsed
   one), then `xuala mail smtpd --listen 127.0.0.1:<free port> --processes P` (1 unless
   --listener-processes) with XUALA_MAIL_AUTH=off.
   C smtplib connections (default 8) push the corpus; per message the wall-clock time just
   before DATA is sent (t0) and the 250 (accepted) are recorded; the server's own
   InboundMessage.processed_at (written in the transaction that acts on the message: the
   ticket, the reply, the answer) is the "committed" time. Throughput = N / (last
   processed_at - first t0).
3. The peer: django-helpdesk (bench/helpdesk_peer/requirements.txt, in its own venv) with one
   queue in local-directory mode holding the same N files; `manage.py get_email` is timed
   from start to exit on the same kind of database. Rate = N / wall time; mean per message.

Output: one line per figure with both sides and the ratio, PASS/FAIL against the goal (at
least 500 messages per second on SQLite with p99 under 50 ms; exit status 1 on FAIL), and
the exact commands. bench/README.md, section "Mail", says more.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import re
import secrets
import shlex
import shutil
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
for path in (str(BENCH), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)

# The desk benchmark's helpers: child processes by pid, PostgreSQL databases, the peer venv.
import bench_desk as desk  # noqa: E402

from tests.intake.corpus import fixture_bytes  # noqa: E402

WORK = BENCH / ".work" / "mail"
OURS_DIR = WORK / "xuala"
PEER_DIR = WORK / "helpdesk-data"
PEER_PROJECT = WORK / "helpdesk-project"
PEER_MAILDIR = WORK / "helpdesk-maildir"
CORPUS_DIR = WORK / "corpus"
PEER_HELPER = BENCH / "helpdesk_mail" / "peer_queue.py"
HOST = "127.0.0.1"
HELO = "mx.modo3.net"
SUPPORT = "asistencia@modo3.net"
GOAL_RATE = 500.0  # messages per second, SQLite
GOAL_P99_MS = 50.0
CLIENTS = 50
REPLY_MIN_DISTANCE = 40  # a reply follows its parent by at least this many messages

log = desk.log

# ---------------------------------------------------------------- the corpus

# Templates by family (tests/intake/fixtures/eml). Left out: the 2 MB attachment and the
# 240-320 KB malformed ones (not "small"), and the six on which django-helpdesk 2.6.1's
# get_email raises, since one exception ends its whole run and leaves every later file
# unread (bench/README.md): the 8-bit non-UTF-8 ones (cp1252_curly_quotes,
# latin1_declared_cp1252_bytes, thunderbird_es_reply_latin9, malformed_8bit_headers: it reads
# each file as UTF-8 text), forward_as_attachment (a message/rfc822 part with 8-bit text:
# UnicodeEncodeError) and malformed_bad_charset_utf8x (LookupError).
NEW = ["gmail_es_new_request", "outlook_en_new_request", "call_request_es",
       "latin1_qp_encoded_headers", "utf8_encoded_words_emoji", "gmail_forward_inline"]
ATTACHMENT = ["attachment_pdf", "inline_image_related", "attachment_docx_outlook",
              "attachment_rfc2231_filenames", "outlook_winmail_dat", "calendar_invite"]
REPLY = ["gmail_en_reply_quoted", "gmail_es_reply_wrapped_attribution", "gmail_html_only_reply",
         "outlook_es_reply_mensaje_original", "outlook_en_reply_underscore",
         "outlook_mac_es_header_block", "thunderbird_en_bottom_post_signature",
         "applemail_es_reply", "applemail_en_reply", "ios_es_reply", "android_gmail_es_reply",
         "roundcube_es_reply_signature", "protonmail_es_reply_nested",
         "reply_subject_token_only"]
WRONG_CHANNEL = {"wrong_channel_ventas": "ventas@modo3.net",
                 "wrong_channel_info_en": "info@modo3.net",
                 "wrong_channel_staff_forwarded": "juan@modo3.net"}
STRANGER = ["nonclient_gmail_new", "yahoo_en_reply", "spam_html_scripts",
            "attachment_hostile_names"]
AUTOMATIC = ["autoreply_outlook_oof_es", "autoreply_gmail_vacation",
             "autoreply_cpanel_autorespond", "mailing_list_message", "read_receipt_mdn"]
BOUNCE = ["bounce_postfix_dsn", "bounce_postfix_delayed", "bounce_exim_plain",
          "bounce_gmail_mailer_daemon", "bounce_exchange_ndr_es"]
MALFORMED = ["malformed_broken_base64", "malformed_qp_errors", "malformed_missing_boundary_param",
             "malformed_broken_encoded_words", "malformed_wrong_boundary",
             "malformed_no_closing_boundary", "malformed_missing_message_id",
             "malformed_missing_from", "malformed_header_only", "malformed_deep_nesting",
             "malformed_mixed_line_endings", "malformed_duplicate_message_id"]
LAPSED = ["lapsed_client_new"]

# (family, share of the corpus); "reply" falls back to "new" when its contact has no
# earlier request far enough back.
MIX = [("new", 0.50), ("attachment", 0.08), ("reply", 0.25), ("wrong_channel", 0.04),
       ("stranger", 0.05), ("lapsed", 0.01), ("automatic", 0.04), ("bounce", 0.01),
       ("malformed", 0.02)]
TEMPLATES = {"new": NEW, "attachment": ATTACHMENT, "reply": REPLY,
             "wrong_channel": list(WRONG_CHANNEL), "stranger": STRANGER, "lapsed": LAPSED,
             "automatic": AUTOMATIC, "bounce": BOUNCE, "malformed": MALFORMED}
# What the intake should make of each family (the malformed ones vary: not checked).
EXPECTED = {"new": "ticket.opened", "attachment": "ticket.opened", "reply": "ticket.replied",
            "wrong_channel": "door.wrong_channel", "stranger": "door.not_client",
            "lapsed": "door.not_client", "automatic": "loop.ignored"}


@dataclass
class Mail:
    index: int
    family: str
    template: str
    message_id: str
    mail_from: str  # envelope sender; "" is the null sender <>
    rcpt: str
    raw: bytes
    parent: int | None = None


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_ADDRESS = re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")
_TOKEN = re.compile(rb"\s*\[#\d+\]")
# Headers a final-delivery MTA adds, or that name the template's own thread: replaced.
_DROPPED = {b"return-path", b"delivered-to", b"x-original-to", b"message-id", b"in-reply-to",
            b"references", b"reply-to", b"sender"}


def rewrite(raw: bytes, *, sender: str | None, message_id: str, to: str | None = None,
            in_reply_to: str | None = None, references: list[str] | None = None) -> bytes:
    """A fixture with a new From address, Message-ID and threading headers, CRLF line ends
    (as an MTA relays it). ``sender`` None keeps the template's From (or its absence);
    a ``[#123]`` ticket token is taken out of the subject (it named a fixture's ticket)."""
    end = _HEADER_END.search(raw)
    head, body = (raw[: end.start()], raw[end.start():]) if end else (raw, b"")
    fields: list[bytes] = []
    for line in _LINE_END.split(head):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        elif line:
            fields.append(line)
    out = []
    for item in fields:
        name = item.split(b":", 1)[0].strip().lower()
        if name in _DROPPED:
            continue
        if name == b"from" and sender:
            item = _ADDRESS.sub(sender.encode(), item, count=1)
        elif name == b"to" and to:
            item = b"To: " + to.encode()
        elif name == b"subject":
            item = _TOKEN.sub(b"", item)
        out.append(item)
    out.append(b"Message-ID: " + message_id.encode())
    if in_reply_to:
        out.append(b"In-Reply-To: " + in_reply_to.encode())
        out.append(b"References: " + b" ".join(r.encode() for r in (references or [in_reply_to])))
    message = b"\r\n".join(out) + body
    return _LINE_END.sub(b"\r\n", message)


def client_address(n: int) -> str:
    return f"contacto{n:02d}@empresa{n:02d}.es"


LAPSED_ADDRESS = "eva@antiguo-bench.es"


def build_corpus(n: int, seed: int, tag: str = "bench") -> list[Mail]:
    """``n`` messages, the same for the same seed; ``tag`` marks Message-IDs and strangers
    (the warm-up's differ from the measured ones)."""
    rng = random.Random(seed)
    families = [name for name, _ in MIX]
    weights = [share for _, share in MIX]
    templates = {name: fixture_bytes(name) for names in TEMPLATES.values() for name in names}
    mark = "" if tag == "bench" else f".{tag}"
    strangers = [f"{name}{k}{mark}@{domain}" for k, (name, domain) in enumerate(
        rng.choice([("curioso", "gmail.com"), ("visitante", "yahoo.com"),
                    ("prueba", "hotmail.com")]) for _ in range(40))]
    requests_of: dict[str, list[int]] = defaultdict(list)  # contact -> its requests
    mails: list[Mail] = []
    for index in range(n):
        family = rng.choices(families, weights)[0]
        contact = client_address(rng.randrange(CLIENTS))
        parent = None
        if family == "reply":
            earlier = [i for i in requests_of[contact] if i <= index - REPLY_MIN_DISTANCE]
            if earlier:
                parent = mails[rng.choice(earlier[-5:])]
            else:
                family = "new"
        template = rng.choice(TEMPLATES[family])
        message_id = f"<{tag}-{seed}-{index:05d}.{rng.randrange(16**8):08x}@mail.bench.example>"
        rcpt = WRONG_CHANNEL.get(template, SUPPORT)
        sender: str | None = contact
        mail_from = contact
        if family == "stranger":
            sender = mail_from = rng.choice(strangers)
        elif family == "lapsed":
            sender = mail_from = LAPSED_ADDRESS
        elif family == "bounce":
            sender, mail_from = None, ""  # a DSN comes from the null sender, From as written
        elif family == "automatic" and template == "mailing_list_message":
            sender = mail_from = "lista@listas.bench.example"
        elif family == "malformed" and template == "malformed_missing_from":
            sender = None
        raw = rewrite(templates[template], sender=sender, message_id=message_id,
                      to=rcpt if family == "wrong_channel" else None,
                      in_reply_to=parent.message_id if parent else None)
        mails.append(Mail(index, family, template, message_id, mail_from, rcpt, raw,
                          parent.index if parent else None))
        if family in ("new", "attachment"):
            requests_of[contact].append(index)
    return mails


def corpus_summary(mails: list[Mail]) -> str:
    sizes = [len(m.raw) for m in mails]
    families = Counter(m.family for m in mails)
    threaded = sum(1 for m in mails if m.parent is not None)
    return (f"{len(mails):,} messages, {sum(sizes) / 1024:,.0f} KiB, size p50 "
            f"{statistics.median(sizes) / 1024:.1f} KiB, max {max(sizes) / 1024:.1f} KiB; "
            + ", ".join(f"{name} {families[name]}" for name, _ in MIX)
            + f"; {threaded} replies name an earlier message; "
            f"{len({m.template for m in mails})} templates")


# ---------------------------------------------------------------- ours

def ours_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "xuala.settings",
        "XUALA_DATA_DIR": str(OURS_DIR),
        "XUALA_DATABASE_URL": database_url,
        "XUALA_LOG_LEVEL": "WARNING",
        "XUALA_DEBUG": "0",
        "XUALA_MAIL_AUTH": "off",  # no DNS here: SPF/DKIM/DMARC would only time out
    })
    return env


def seed_customers() -> dict[str, int]:
    """50 customers with one contact each, hosting and mail services, a third on a plan, and
    the lapsed client (its services ended)."""
    import django

    django.setup()
    from datetime import date

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from xuala.accounts.models import Role, User
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

    rng = random.Random(7)
    hashed = make_password(secrets.token_urlsafe(16))  # nobody signs in: one hash for all
    with transaction.atomic():
        server = HostingServer.objects.create(name="xc-web-01", hostname="xc-web-01.xuala.net")
        people = [(client_address(n), f"Empresa {n:02d} S.L.", True) for n in range(CLIENTS)]
        people += [(LAPSED_ADDRESS, "Antiguo Bench S.L.", False)]
        for k, (email, name, active) in enumerate(people):
            language = "en" if rng.random() < 0.15 else "es"
            customer = Customer.objects.create(name=name, language=language)
            user = User.objects.create(email=email, password=hashed, name=f"Contacto {name}",
                                       role=Role.CLIENT, language=language)
            Contact.objects.create(user=user, customer=customer, is_primary=True)
            domain = email.split("@", 1)[1]
            ends = None if active else date(2024, 12, 31)
            web = Service.objects.create(customer=customer, kind=ServiceKind.WEB_HOSTING,
                                         name=domain, server=server, starts_on=date(2020, 1, 1),
                                         ends_on=ends)
            Site.objects.create(customer=customer, service=web, server=server,
                                url=f"https://www.{domain}/")
            Service.objects.create(customer=customer, kind=ServiceKind.MAIL, name=domain,
                                   server=server, starts_on=date(2020, 1, 1), ends_on=ends)
            if active and k % 3 == 0:
                Contract.objects.create(customer=customer, plan_key="cobertura-mensual",
                                        billing=Billing.MONTHLY, starts_on=date(2020, 1, 1))
    return {"customers": len(people)}


@dataclass
class Sent:
    t0: float  # time.time() just before DATA
    accepted_ms: float  # DATA -> the final reply
    code: int
    reply: str = ""


def push(port: int, mails: list[Mail], connections: int,
         rate: float = 0.0) -> tuple[dict[int, Sent], float]:
    """C connections, each sending its next message when the last one is answered; with
    ``rate``, message k is not sent before start + k / rate (an offered load). Returns what
    was sent and the largest delay behind that schedule (s)."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    start = time.time() + 0.05
    for k, mail in enumerate(mails):
        todo.put((start + k / rate if rate else 0.0, mail))
    sent: dict[int, Sent] = {}
    errors: list[BaseException] = []
    behind = [0.0]

    def worker() -> None:
        try:
            client = smtplib.SMTP(HOST, port, local_hostname=HELO, timeout=60)
        except OSError as exc:
            errors.append(exc)
            return
        try:
            client.ehlo()
            while True:
                try:
                    due, mail = todo.get_nowait()
                except queue.Empty:
                    break
                if due:
                    wait = due - time.time()
                    if wait > 0:
                        time.sleep(wait)
                    else:
                        behind[0] = max(behind[0], -wait)
                client.mail(mail.mail_from)
                code, reply = client.rcpt(mail.rcpt)
                if code != 250:
                    client.rset()
                    sent[mail.index] = Sent(time.time(), 0.0, code, reply.decode(errors="replace"))
                    continue
                t0 = time.time()
                p0 = time.perf_counter()
                code, reply = client.data(mail.raw)
                p1 = time.perf_counter()
                sent[mail.index] = Sent(t0, (p1 - p0) * 1000, code,
                                        reply.decode(errors="replace"))
        except (smtplib.SMTPException, OSError) as exc:
            errors.append(exc)
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    if errors:
        raise SystemExit(f"the SMTP conversation failed: {errors[0]!r}")
    return sent, behind[0]


def wait_port(port: int, popen: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise SystemExit(f"the listener exited ({popen.returncode}); see {log_path}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {HOST}:{port} after {timeout:.0f} s; see {log_path}")


def wait_done(keys: list[str], timeout: float) -> int:
    """Wait (bounded) until every row of ``keys`` exists and has left "received"."""
    from xuala.intake.models import InboundMessage, InboundStatus

    wanted = set(keys)
    deadline = time.monotonic() + timeout
    left = len(wanted)
    while time.monotonic() < deadline:
        rows = dict(InboundMessage.objects.values_list("message_key", "status"))
        left = sum(1 for key in wanted if rows.get(key, InboundStatus.RECEIVED)
                   == InboundStatus.RECEIVED)
        if not left:
            return 0
        time.sleep(0.1)
    return left


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class OursResult:
    rate: float = float("nan")
    accept_rate: float = float("nan")
    latency: list[float] = field(default_factory=list)  # ms, DATA -> processed_at
    ticket_latency: list[float] = field(default_factory=list)
    accepted: list[float] = field(default_factory=list)  # ms, DATA -> 250
    outcomes: Counter = field(default_factory=Counter)
    by_outcome_ms: dict[str, list[float]] = field(default_factory=dict)
    unexpected: Counter = field(default_factory=Counter)
    refused: int = 0
    unfinished: int = 0
    tickets: int = 0
    outbox: int = 0
    server_cpu_s: float = float("nan")
    sender_cpu_s: float = float("nan")  # this script's SMTP clients, on the same cores
    wall_s: float = float("nan")
    behind_s: float = 0.0  # with --rate: the most a message was sent behind its schedule


def run_ours(args: argparse.Namespace, mails: list[Mail], procs: desk.Processes,
             database_url: str, notes: list[str], commands: list[str]) -> OursResult:
    env = ours_env(database_url)
    for key in ("DJANGO_SETTINGS_MODULE", "XUALA_DATA_DIR", "XUALA_DATABASE_URL",
                "XUALA_LOG_LEVEL", "XUALA_DEBUG", "XUALA_MAIL_AUTH"):
        os.environ[key] = env[key]
    shutil.rmtree(OURS_DIR, ignore_errors=True)
    OURS_DIR.mkdir(parents=True)
    log("xuala: migrating a fresh database")
    t0 = time.perf_counter()
    desk.run_checked(desk.xuala_argv("migrate", "--noinput"), env=env, what="xuala migrate")
    notes.append(f"xuala migrate: {time.perf_counter() - t0:.1f} s")
    seeded = seed_customers()
    notes.append(f"xuala: {seeded['customers']} customers seeded (50 clients with active "
                 "services, a third on a plan; one lapsed)")

    from xuala.desk.models import Ticket
    from xuala.intake.models import InboundMessage
    from xuala.notify.models import OutboundEmail

    port = desk.free_port()
    argv = desk.xuala_argv("mail", "smtpd", "--listen", f"{HOST}:{port}",
                           "--processes", str(args.listener_processes))
    commands.append("XUALA_MAIL_AUTH=off " + shlex.join(argv))
    log_path = OURS_DIR / "smtpd.log"
    popen = procs.start("xuala-smtpd", argv, env=env, cwd=ROOT, log_path=log_path)
    spy = None
    result = OursResult()
    try:
        wait_port(port, popen, log_path)
        if args.warmup:
            warm = build_corpus(args.warmup, args.seed + 1, tag="warmup")
            push(port, warm, min(args.connections, len(warm)))
            if wait_done([m.message_id for m in warm], timeout=120):
                raise SystemExit(f"the warm-up messages were not processed; see {log_path}")
            notes.append(f"warm-up: {len(warm)} messages first (not counted)")
        if args.profile:
            spy = start_profiler(popen.pid, procs)
        cpu0 = desk.group_cpu_seconds(popen.pid)
        wall0 = time.perf_counter()
        log(f"xuala: pushing {len(mails):,} messages over {args.connections} SMTP connections")
        sender0 = time.process_time()
        sent, result.behind_s = push(port, mails, args.connections, args.rate)
        result.sender_cpu_s = time.process_time() - sender0
        unfinished = wait_done([m.message_id for m in mails if sent[m.index].code == 250],
                               timeout=args.timeout)
        result.wall_s = time.perf_counter() - wall0
        result.server_cpu_s = desk.group_cpu_seconds(popen.pid) - cpu0
        if spy is not None:
            stop_profiler(spy, procs, notes)
            spy = None
        result.unfinished = unfinished
        rows = {key: (processed, status, outcome) for key, processed, status, outcome in
                InboundMessage.objects.values_list("message_key", "processed_at", "status",
                                                   "outcome")}
        result.tickets = Ticket.objects.count()
        result.outbox = OutboundEmail.objects.count()
    finally:
        if spy is not None:
            stop_profiler(spy, procs, notes)
        procs.stop(popen)
        from django.db import connections

        connections.close_all()

    by_outcome: dict[str, list[float]] = defaultdict(list)
    done_times = []
    for mail in mails:
        s = sent[mail.index]
        if s.code != 250:
            result.refused += 1
            result.outcomes[f"refused {s.code}"] += 1
            continue
        result.accepted.append(s.accepted_ms)
        processed, status, outcome = rows.get(mail.message_id, (None, "missing", "missing"))
        result.outcomes[outcome or status] += 1
        expected = EXPECTED.get(mail.family)
        if expected and outcome != expected:
            result.unexpected[f"{mail.family}->{outcome or status}"] += 1
        if processed is None:
            continue
        ms = (processed.timestamp() - s.t0) * 1000
        done_times.append(processed.timestamp())
        result.latency.append(ms)
        by_outcome[outcome].append(ms)
        if outcome in ("ticket.opened", "ticket.replied", "ticket.linked"):
            result.ticket_latency.append(ms)
    result.by_outcome_ms = dict(by_outcome)
    first = min(s.t0 for s in sent.values())
    if done_times:
        result.rate = len(done_times) / (max(done_times) - first)
    last_accept = max(s.t0 + s.accepted_ms / 1000 for s in sent.values())
    result.accept_rate = len(result.accepted) / (last_accept - first)
    return result


# ---------------------------------------------------------------- profiling (optional)

def pyspy() -> str | None:
    for candidate in (WORK.parent / "pyspy-venv" / "bin" / "py-spy", shutil.which("py-spy")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def start_profiler(pid: int, procs: desk.Processes):
    binary = pyspy()
    if binary is None:
        raise SystemExit("--profile needs py-spy: python3 -m venv bench/.work/pyspy-venv && "
                         "bench/.work/pyspy-venv/bin/pip install py-spy")
    out = WORK / "profile.txt"
    out.unlink(missing_ok=True)
    # --gil: only the thread holding the GIL (what costs CPU), --nonblocking: the listener is
    # not paused to be sampled (its figures are still not the benchmark's: see the README).
    argv = [binary, "record", "--pid", str(pid), "--format", "raw", "--rate", "500",
            "--gil", "--nonblocking", "--threads", "--output", str(out)]
    popen = procs.start("py-spy", argv, env=dict(os.environ), cwd=ROOT,
                        log_path=WORK / "py-spy.log")
    time.sleep(1.0)  # attached before the first message
    return popen, out


def stop_profiler(spy, procs: desk.Processes, notes: list[str]) -> None:
    popen, out = spy
    if popen.poll() is None:
        os.kill(popen.pid, signal.SIGINT)  # py-spy writes its file on Ctrl-C
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(30)
    procs.stop(popen)
    if out.exists():
        notes.append(f"profile (py-spy raw, collapsed stacks): {out}")
        notes.extend(summarise_profile(out))


_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
# Where a sample's time goes, by the innermost frame that matches (checked in this order).
AREAS = [
    ("SQLite (the C library: statements, commits)", ("django/db/backends/sqlite3/base.py",
                                                     "django/db/backends/base/base.py")),
    ("Django ORM (building queries, model instances)", ("django/db/",)),
    ("mail parsing (email package, xuala.intake.parse/quotes)", (
        "email/", "xuala/intake/parse/", "xuala/intake/quotes.py", "nh3")),
    ("SMTP protocol and event loop (aiosmtpd, asyncio)", ("aiosmtpd/", "asyncio/",
                                                          "selectors.py")),
    ("texts, templates, translation", ("django/template/", "django/utils/translation",
                                       "gettext.py", "xuala/intake/texts.py",
                                       "xuala/desk/texts.py")),
    ("policy, triage, clocks", ("xuala/policy/", "xuala/desk/triage.py",
                                "xuala/desk/clocks.py", "zoneinfo", "holidays")),
    ("other xuala code", ("xuala/",)),
]


def summarise_profile(path: Path, top: int = 18) -> list[str]:
    """py-spy's collapsed stacks (--gil: the thread holding the GIL, i.e. Python CPU time)
    summarised: share per area (by the innermost frame) and per xuala function (inclusive)."""
    areas: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [m for m in (_FRAME.match(f) for f in stack.split(";")[1:]) if m]
        area = "other (threading, queues, the standard library)"
        for frame in reversed(frames):
            hit = next((name for name, parts in AREAS
                        if any(part in frame["file"] for part in parts)), None)
            if hit:
                area = hit
                break
        areas[area] += n
        seen = set()
        for frame in frames:
            name = f"{frame['func']} ({frame['file']})"
            if frame["file"].startswith("xuala/") and name not in seen \
                    and "cli.py" not in name and "management/commands" not in name:
                inclusive[name] += n
                seen.add(name)
    if not total:
        return ["profile: no samples"]
    lines = [f"profile: {total} samples of the thread holding the GIL; by area (innermost "
             "frame):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in areas.most_common()]
    lines.append("profile: xuala functions, inclusive:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    return lines


# ---------------------------------------------------------------- the peer

@dataclass
class PeerResult:
    wall_s: float = float("nan")
    startup_s: float = float("nan")
    counts: dict = field(default_factory=dict)
    version: str = ""

    @property
    def rate(self) -> float:
        return self.counts.get("processed", 0) / self.wall_s if self.wall_s else float("nan")


def peer_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XUALA_", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "helpdesk_bench.settings",
                "HELPDESK_BENCH_DIR": str(PEER_DIR),
                "HELPDESK_BENCH_DATABASE_URL": database_url,
                "PYTHONPATH": str(PEER_PROJECT)})
    return env


def run_peer(args: argparse.Namespace, mails: list[Mail], database_url: str,
             notes: list[str], commands: list[str]) -> PeerResult:
    desk.ensure_peer_venv(bool(database_url))
    result = PeerResult(version=desk.peer_version())
    env = peer_env(database_url)
    python = str(desk.peer_python())
    # The desk benchmark's django-helpdesk project (bench/helpdesk_peer/), in a folder of
    # our own so that the two benchmarks never share data.
    shutil.rmtree(PEER_PROJECT, ignore_errors=True)
    package = PEER_PROJECT / "helpdesk_bench"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in ("settings.py", "urls.py", "wsgi.py"):
        shutil.copy(desk.PEER_SOURCE / name, package / name)
    shutil.copy(desk.PEER_SOURCE / "manage.py", PEER_PROJECT / "manage.py")
    shutil.copy(PEER_HELPER, PEER_PROJECT / "peer_queue.py")
    shutil.rmtree(PEER_DIR, ignore_errors=True)
    PEER_DIR.mkdir(parents=True)
    (PEER_DIR / "secret_key").write_text(secrets.token_urlsafe(50))
    shutil.rmtree(PEER_MAILDIR, ignore_errors=True)
    PEER_MAILDIR.mkdir(parents=True)
    log("django-helpdesk: migrating a fresh database")
    t0 = time.perf_counter()
    desk.run_checked([python, "manage.py", "migrate", "--noinput"], env=env, cwd=PEER_PROJECT,
                     what="django-helpdesk migrate")
    notes.append(f"django-helpdesk migrate: {time.perf_counter() - t0:.1f} s")
    desk.run_checked([python, "peer_queue.py", "setup", str(PEER_MAILDIR)], env=env,
                     cwd=PEER_PROJECT, what="django-helpdesk queue set-up")
    argv = [python, "manage.py", "get_email", "--quiet"]
    commands.append(f"(cd {os.path.relpath(PEER_PROJECT, ROOT)} && {shlex.join(argv)})  "
                    f"# queue 'asistencia', email_box_type=local, email_box_local_dir="
                    f"{os.path.relpath(PEER_MAILDIR, ROOT)}")

    # Its fixed cost: the same command on an empty folder (Django start-up, the queue loop).
    t0 = time.perf_counter()
    desk.run_checked(argv, env=env, cwd=PEER_PROJECT, what="get_email (empty folder)")
    result.startup_s = time.perf_counter() - t0

    for mail in mails:  # the very bytes our listener is sent
        (PEER_MAILDIR / f"{mail.index:05d}.eml").write_bytes(mail.raw)
    log(f"django-helpdesk: get_email on {len(mails):,} files")
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=PEER_PROJECT, capture_output=True, text=True,
                          timeout=args.timeout * 20)
    result.wall_s = time.perf_counter() - t0
    (PEER_DIR / "get_email.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"get_email failed ({done.returncode}):\n{done.stderr[-3000:]}")
    out = desk.run_checked([python, "peer_queue.py", "count"], env=env, cwd=PEER_PROJECT,
                           what="django-helpdesk counts")
    result.counts = json.loads(out.strip().splitlines()[-1])
    result.counts["processed"] = len(mails) - result.counts["files_left"]
    if "Queue processing failed" in done.stderr or "Traceback" in done.stderr:
        notes.append("django-helpdesk get_email logged an error; see "
                     f"{os.path.relpath(PEER_DIR / 'get_email.log', ROOT)}")
    return result


# ---------------------------------------------------------------- report

def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def report(args, database: str, mails: list[Mail], ours: OursResult | None,
           peer: PeerResult | None, notes: list[str], commands: list[str],
           command: str) -> bool:
    n = len(mails)
    print()
    paced = f", offered at {args.rate:g} msgs/s" if args.rate else ", as fast as answered"
    print(f"== mail intake: {n:,} messages, {args.connections} SMTP connections{paced} "
          f"({database}) ==")
    print(f"corpus: {corpus_summary(mails)}")
    ours_rate = ours.rate if ours else float("nan")
    peer_rate = peer.rate if peer else float("nan")
    ratio = ours_rate / peer_rate if ours and peer and peer_rate else float("nan")
    print(f"intake msgs/s ({database}, DATA→committed ticket)   xuala {fmt(ours_rate, 0)}   "
          f"django-helpdesk get_email {fmt(peer_rate, 1)}   ratio {fmt(ratio, 1)}x")
    if peer:
        mean_ms = peer.wall_s / max(1, peer.counts.get("processed", 0)) * 1000
        steady = (peer.counts.get("processed", 0) / (peer.wall_s - peer.startup_s)
                  if peer.wall_s > peer.startup_s else float("nan"))
    if ours:
        print(f"p50 / p99 latency ms (DATA→committed, all messages)   xuala "
              f"{fmt(percentile(ours.latency, 50))} / {fmt(percentile(ours.latency, 99))}"
              + (f"   django-helpdesk: batch, no per-message latency; mean "
                 f"{fmt(mean_ms)} ms per message" if peer else ""))
        print(f"p50 / p99 latency ms (DATA→committed, tickets opened or replied: "
              f"{len(ours.ticket_latency)})   xuala {fmt(percentile(ours.ticket_latency, 50))} / "
              f"{fmt(percentile(ours.ticket_latency, 99))}")
        print(f"p50 / p99 accepted ms (DATA→250)   xuala {fmt(percentile(ours.accepted, 50))} / "
              f"{fmt(percentile(ours.accepted, 99))}   (accepting alone: "
              f"{fmt(ours.accept_rate, 0)} msgs/s)")
        print(f"xuala: max latency {fmt(max(ours.latency, default=float('nan')))} ms; server "
              f"CPU {fmt(ours.server_cpu_s * 1000 / n, 2)} ms per message "
              f"({fmt(ours.server_cpu_s)} s over {fmt(ours.wall_s)} s wall; the sender "
              f"{fmt(ours.sender_cpu_s * 1000 / n, 2)} ms per message); "
              f"{ours.tickets:,} tickets and {ours.outbox:,} outbox rows in the database")
        print("xuala outcomes: " + ", ".join(
            f"{name} {count} (p50 {fmt(percentile(ours.by_outcome_ms.get(name, []), 50))} "
            f"ms)" for name, count in ours.outcomes.most_common()))
        if ours.unexpected:
            print("xuala: outcomes other than the family's usual one: " + ", ".join(
                f"{k} {v}" for k, v in ours.unexpected.most_common()))
        if args.rate:
            print(f"xuala: offered {args.rate:g} msgs/s; the sender fell at most "
                  f"{fmt(ours.behind_s * 1000)} ms behind that schedule")
        if ours.refused or ours.unfinished:
            print(f"xuala: {ours.refused} refused, {ours.unfinished} not processed in time")
    if peer:
        c = peer.counts
        print(f"django-helpdesk: {peer.version}; wall {fmt(peer.wall_s, 2)} s including "
              f"{fmt(peer.startup_s, 2)} s of start-up (get_email on an empty folder); "
              f"without it {fmt(steady, 1)} msgs/s; {c.get('processed', 0):,} files processed, "
              f"{c.get('files_left', 0)} left in the folder; {c.get('tickets', 0):,} tickets, "
              f"{c.get('followups', 0):,} follow-ups "
              f"({c.get('followups', 0) - c.get('tickets', 0):,} on existing tickets), "
              f"{c.get('sent_mail_files', 0):,} mail files sent")
    passed = True
    if ours and args.rate:
        print("goal: not judged with --rate (the throughput is the offered load)")
        passed = not ours.refused and not ours.unfinished
    elif ours:
        p99 = percentile(ours.latency, 99)
        rate_ok = ours_rate >= GOAL_RATE
        p99_ok = p99 < GOAL_P99_MS
        complete = not ours.refused and not ours.unfinished
        passed = rate_ok and p99_ok and complete
        scope = "" if database == "SQLite" else " (the goal is set for SQLite; shown for reference)"
        print(f"goal: >= {GOAL_RATE:.0f} msgs/s: {'PASS' if rate_ok else 'FAIL'} "
              f"({fmt(ours_rate, 0)});  p99 < {GOAL_P99_MS:.0f} ms: "
              f"{'PASS' if p99_ok else 'FAIL'} ({fmt(p99)} ms)"
              + ("" if complete else ";  FAIL: not every message was accepted and processed")
              + scope)
        if database != "SQLite":
            passed = complete
    print("notes:")
    for note in notes:
        print(f"  {note}")
    print("commands:")
    print(f"  {command}")
    for line in commands:
        print(f"  {line}")
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=8, help="concurrent SMTP sessions")
    parser.add_argument("--warmup", type=int, default=20,
                        help="messages sent (and processed) before the measured ones")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="offer this many messages per second instead of as fast as the "
                             "listener answers (latency without a backlog)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the processing after the last 250")
    parser.add_argument("--listener-processes", type=int, default=1,
                        help="processes of our SMTP listener (xuala mail smtpd --processes)")
    parser.add_argument("--ours-only", action="store_true", help="skip django-helpdesk")
    parser.add_argument("--peer-only", action="store_true", help="skip Xuala Desk")
    parser.add_argument("--profile", action="store_true",
                        help="attach py-spy to the listener during the measured push")
    parser.add_argument("--write-corpus", action="store_true",
                        help=f"also write the messages to {os.path.relpath(CORPUS_DIR, ROOT)}")
    args = parser.parse_args()
    python = (os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT))
              else sys.executable)
    command = ("XUALA_DATABASE_URL=<url> " if os.environ.get("XUALA_DATABASE_URL") else "") \
        + shlex.join([python, os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    base_url = os.environ.get("XUALA_DATABASE_URL", "")
    database = "PostgreSQL" if base_url else "SQLite"
    mails = build_corpus(args.messages, args.seed)
    if args.write_corpus:
        shutil.rmtree(CORPUS_DIR, ignore_errors=True)
        CORPUS_DIR.mkdir(parents=True)
        for mail in mails:
            (CORPUS_DIR / f"{mail.index:05d}.eml").write_bytes(mail.raw)
    notes: list[str] = []
    commands: list[str] = []
    procs = desk.Processes()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ours = peer = None
    ours_url = peer_url = ""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        if base_url:
            base_name = urllib.parse.unquote(urllib.parse.urlsplit(base_url).path.lstrip("/"))
            if not args.peer_only:
                ours_url = desk.postgres_url_with_name(base_url, f"{base_name}_mailbench")
                desk.postgres_recreate(base_url, f"{base_name}_mailbench")
            if not args.ours_only:
                peer_url = desk.postgres_url_with_name(base_url,
                                                       f"{base_name}_mailbench_helpdesk")
                desk.postgres_recreate(base_url, f"{base_name}_mailbench_helpdesk")
        if not args.peer_only:
            ours = run_ours(args, mails, procs, ours_url, notes, commands)
        if not args.ours_only:
            peer = run_peer(args, mails, peer_url, notes, commands)
    finally:
        procs.stop_all()
        if base_url:
            for url in (ours_url, peer_url):
                if url:
                    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.lstrip("/"))
                    desk.postgres_recreate(base_url, name, drop_only=True)
    notes.append(f"total time: {time.perf_counter() - started:.0f} s")
    notes.append(f"machine: {os.cpu_count()} cores; 1-minute load average {load_before:.2f} "
                 f"before the run, {os.getloadavg()[0]:.2f} after")
    passed = report(args, database, mails, ours, peer, notes, commands, command)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
