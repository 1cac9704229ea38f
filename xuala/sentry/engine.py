"""The check engine: claims due monitors in batches, checks them concurrently, records.

One step (``engine_step``), which tests call directly:

1. Claim up to ``batch`` active monitors whose ``next_check_at`` has passed and whose
   claim is free or expired: one transaction selects them (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL; SQLite's IMMEDIATE transactions serialise writers) and stamps
   ``claimed_by``/``claim_expires_at``. Another engine skips them; an engine killed
   mid-batch loses nothing, since its claims expire and another engine takes them.
2. Check every claimed monitor concurrently (asyncio), each page with its own
   per-phase timeouts, so a hanging site never delays the others.
3. Record in one transaction per batch: the state machine with confirmation, the
   uptime rollups, the raw check when it failed or changed the state, incidents
   (opened with the detailed report, resolved with their duration), alerts and
   tickets; then release the claim and set the next slot.

``run_engine`` repeats the step with a short look-ahead so that checks start on
their second rather than at the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xuala.sentry import services

log = logging.getLogger(__name__)


def engine_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# The columns a check and its recording need, read straight from the claim's RETURNING (or
# its second statement on PostgreSQL): building model instances for every claimed row
# (select_related, Model.from_db, the post-init signals) cost more than the claim itself.
DUE_COLUMNS = ("id", "url", "keyword", "keyword_absent", "max_ms", "status_min", "status_max",
               "min_cert_days", "extra_urls", "interval_seconds", "state", "pending_state",
               "pending_since", "pending_count", "next_check_at", "slot_at", "last_good_at")
CLAIM_SQLITE = """
UPDATE sentry_monitor SET claimed_by = %s, claim_expires_at = %s
WHERE id IN (SELECT id FROM sentry_monitor WHERE is_active AND next_check_at <= %s
             AND (claim_expires_at IS NULL OR claim_expires_at < %s)
             ORDER BY next_check_at LIMIT %s)
RETURNING id, url, keyword, keyword_absent, max_ms, status_min, status_max, min_cert_days,
          extra_urls, interval_seconds, state, pending_state, pending_since, pending_count,
          next_check_at, slot_at, last_good_at
"""
CLAIM_SELECT_POSTGRESQL = """
SELECT id FROM sentry_monitor WHERE is_active AND next_check_at <= %s
  AND (claim_expires_at IS NULL OR claim_expires_at < %s)
ORDER BY next_check_at LIMIT %s FOR UPDATE SKIP LOCKED
"""
CLAIM_UPDATE_POSTGRESQL = """
UPDATE sentry_monitor SET claimed_by = %s, claim_expires_at = %s
WHERE id = ANY(%s) AND (claim_expires_at IS NULL OR claim_expires_at < %s)
RETURNING id, url, keyword, keyword_absent, max_ms, status_min, status_max, min_cert_days,
          extra_urls, interval_seconds, state, pending_state, pending_since, pending_count,
          next_check_at, slot_at, last_good_at
"""


@dataclass(slots=True)
class Due:
    """A claimed monitor: plain values of its row, nothing lazy."""

    pk: int
    url: str
    keyword: str
    keyword_absent: bool
    max_ms: int | None
    status_min: int
    status_max: int
    min_cert_days: int
    extra_urls: list
    interval_seconds: int
    state: str
    pending_state: str
    pending_since: datetime | None
    pending_count: int
    next_check_at: datetime
    slot_at: datetime
    last_good_at: datetime | None

    @classmethod
    def from_row(cls, row: tuple) -> Due:
        (pk, url, keyword, absent, max_ms, status_min, status_max, cert_days, extra,
         interval, state, pending_state, pending_since, pending_count, next_check_at,
         slot_at, last_good_at) = row
        if isinstance(extra, str):  # SQLite (and Django's psycopg set-up) return JSON as text
            extra = json.loads(extra)
        return cls(pk, url, keyword, bool(absent), max_ms, status_min, status_max, cert_days,
                   extra or [], interval, state, pending_state, _aware(pending_since),
                   pending_count, _aware(next_check_at), _aware(slot_at), _aware(last_good_at))


def _aware(value) -> datetime | None:
    """A UTC datetime from a raw column (SQLite: naive UTC text; PostgreSQL: aware)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def claim(*, engine: str, now: datetime, batch: int, horizon: timedelta = timedelta(0)
          ) -> list[Due]:
    """Stamp up to ``batch`` due monitors as this engine's and return them.

    The contract of ``xuala.core.claims.claim_due``, in two statements for the whole batch:
    due rows (``next_check_at <= now + horizon``, oldest first) are selected with ``FOR
    UPDATE SKIP LOCKED`` on PostgreSQL, in a transaction held until the claim is written;
    the claim is a conditional update (only rows whose claim is still free or expired
    change) that writes a lease (``claim_expires_at``), so parallel engines take different
    rows and a dead engine's rows come due again when the lease runs out. Only the rows the
    update changed are returned (RETURNING), so a row another engine stamped first is left
    out even where SKIP LOCKED does not exist (SQLite, whose writers are serialised).

    Why not ``claim_due`` itself: it claims row by row (one UPDATE and one model instance
    per row), which is right for engines that take tens of rows, but an engine here claims
    up to ``batch`` (10,000) monitors a step, thousands a second across engines. claim_due costs
    about ten times more per step here (bench/README.md, "The claim").
    """
    expires = now + timedelta(seconds=settings.XUALA_SENTRY_CLAIM_SECONDS)
    when = services.datetime_adapter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(CLAIM_SELECT_POSTGRESQL, (when(now + horizon), when(now), batch))
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return []
            cursor.execute(CLAIM_UPDATE_POSTGRESQL, (engine, when(expires), ids, when(now)))
        else:
            cursor.execute(CLAIM_SQLITE, (engine, when(expires), when(now + horizon),
                                          when(now), batch))
        rows = cursor.fetchall()
    return [Due.from_row(row) for row in rows]


@dataclass(slots=True)
class Outcome:
    monitor: Due
    result: dict  # CheckResult.as_json() of the main page, with failing extra pages noted
    ok: bool
    at: datetime


async def _check_monitor(monitor: Due, *, probe_options: dict) -> Outcome:
    """Wait for the monitor's due time, then check it."""
    wait = (monitor.next_check_at - timezone.now()).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)
    return await _check_due(monitor, probe_options=probe_options)


async def _check_due(monitor: Due, *, probe_options: dict) -> Outcome:
    """Check the monitor now: its main page, then its extra pages when the main one passed."""
    from xuala.sentry.probe import check

    at = timezone.now()
    options = dict(keyword=monitor.keyword or None, keyword_absent=monitor.keyword_absent,
                   max_ms=monitor.max_ms, accepted_status=range(monitor.status_min,
                                                                monitor.status_max + 1),
                   min_cert_days=monitor.min_cert_days, **probe_options)
    try:
        main = await check(monitor.url, **options)
    except Exception as exc:  # the probe classifies failures; this is a bug guard
        log.exception("probe crashed on %s", monitor.url)
        return Outcome(monitor, {"ok": False, "error_class": "timeout", "error": repr(exc),
                                 "url": monitor.url}, False, at)
    result = main.as_json()
    ok = main.ok
    if ok and monitor.extra_urls:
        extra_options = {k: v for k, v in options.items() if k not in ("keyword",
                                                                       "keyword_absent")}
        extras = await asyncio.gather(*(check(url, **extra_options)
                                        for url in monitor.extra_urls))
        failing = [e.as_json() for e in extras if not e.ok]
        if failing:
            ok = False
            result = {**failing[0], "main_page": result,
                      "failing_pages": [f["url"] for f in failing]}
    return Outcome(monitor, result, ok, at)


async def check_all(monitors: list[Due], *, probe_options: dict | None = None,
                    concurrency: int = 500) -> list[Outcome]:
    limit = asyncio.Semaphore(concurrency)

    async def one(monitor: Due) -> Outcome:
        async with limit:
            return await _check_monitor(monitor, probe_options=probe_options or {})

    return list(await asyncio.gather(*(one(m) for m in monitors)))


def engine_step(*, engine: str | None = None, now: datetime | None = None, batch: int = 1000,
                probe_options: dict | None = None,
                horizon: timedelta = timedelta(0)) -> int:
    """Claim, check and record one batch; returns the number of monitors checked."""
    engine = engine or engine_id()
    now = now or timezone.now()
    monitors = claim(engine=engine, now=now, batch=batch, horizon=horizon)
    if not monitors:
        return 0
    outcomes = asyncio.run(check_all(monitors, probe_options=probe_options))
    services.outcomes_record(engine=engine, outcomes=outcomes)
    return len(outcomes)


async def run_engine_async(*, stop: asyncio.Event, batch: int = 10_000,
                           horizon_seconds: float = 2.0, concurrency: int = 2000,
                           probe_options: dict | None = None) -> None:
    """The long-running engine: claims keep flowing while slow checks are still under way.

    Claims, checks and records overlap: a claimer looks ``horizon_seconds`` ahead every
    quarter second, each check starts on its own second (a timer on the loop starts its task
    then), and finished checks are recorded in batches. All database work runs in one
    worker thread (Django connections are per thread); a hanging site holds only its own
    task.
    """
    from concurrent.futures import ThreadPoolExecutor

    engine = engine_id()
    loop = asyncio.get_running_loop()
    db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentry-db")
    # ``batch`` bounds the claimed monitors (waiting for their second, or being checked): at
    # 2,000 an engine that fell behind (its first minute writes every monitor's first
    # check) could not claim enough to catch up at 40,000 checks a minute. ``concurrency``
    # bounds the checks under way (open connections) when it is the smaller.
    limit = asyncio.Semaphore(concurrency) if concurrency < batch else None
    finished: list[Outcome] = []
    in_flight: set[asyncio.Task] = set()
    claimed = 0  # claimed monitors not yet checked (waiting for their second, or running)
    last_sync = 0.0
    options = probe_options or {}

    async def one(monitor: Due) -> None:
        nonlocal claimed
        try:
            if limit is None:
                finished.append(await _check_due(monitor, probe_options=options))
            else:
                async with limit:
                    finished.append(await _check_due(monitor, probe_options=options))
        finally:
            claimed -= 1

    def start(monitor: Due) -> None:
        task = loop.create_task(one(monitor))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    try:
        while not stop.is_set():
            if time.monotonic() - last_sync > 60:
                await loop.run_in_executor(db, services.monitors_sync)
                last_sync = time.monotonic()
            room = max(0, batch - claimed)
            monitors = []
            if room:
                monitors = await loop.run_in_executor(db, lambda room=room: claim(
                    engine=engine, now=timezone.now(), batch=room,
                    horizon=timedelta(seconds=horizon_seconds)))
            claimed += len(monitors)
            now = timezone.now()
            for monitor in monitors:
                wait = (monitor.next_check_at - now).total_seconds()
                if wait > 0:
                    loop.call_later(wait, start, monitor)
                else:
                    start(monitor)
            if finished:
                done, finished[:] = finished[:], []
                await loop.run_in_executor(db, lambda d=done: services.outcomes_record(
                    engine=engine, outcomes=d))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.25)
        # Finish what was claimed so no claim is left to expire.
        deadline = loop.time() + horizon_seconds + 35
        while claimed > 0 and loop.time() < deadline:
            await asyncio.sleep(0.1)
        if finished:
            await loop.run_in_executor(db, lambda: services.outcomes_record(
                engine=engine, outcomes=list(finished)))
    finally:
        await loop.run_in_executor(db, lambda: connection.close())  # the worker's connection
        db.shutdown(wait=True)


def run_engine(*, batch: int = 10_000, probe_options: dict | None = None) -> None:
    """Run until SIGTERM or SIGINT (on uvloop where it is installed)."""
    import signal

    try:
        import uvloop
    except ImportError:  # pragma: no cover - optional
        uvloop = None

    # Each check leaves a few thousand short-lived containers (tasks, futures, dicts); with
    # the default thresholds the collector ran every 700 of them and kept walking the
    # start-up objects. Those are frozen out of its sight, and it runs less often: about a
    # tenth less CPU per check, measured with bench/bench_sentry.py.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1000)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("sentry engine started")
        await run_engine_async(stop=stop, batch=batch, probe_options=probe_options)
        log.info("sentry engine stopped")

    if uvloop is not None:
        uvloop.run(main())
    else:
        asyncio.run(main())
