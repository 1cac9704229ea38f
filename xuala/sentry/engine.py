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
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from xuala.sentry import services
from xuala.sentry.models import Monitor

log = logging.getLogger(__name__)
CLAIM_SECONDS = 120


def engine_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim(*, engine: str, now: datetime, batch: int, horizon: timedelta = timedelta(0)
          ) -> list[Monitor]:
    """Stamp up to ``batch`` due monitors as this engine's and return them."""
    free = Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lt=now)
    with transaction.atomic():
        due = (Monitor.objects.filter(is_active=True, next_check_at__lte=now + horizon)
               .filter(free).order_by("next_check_at"))
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch])
        if not ids:
            return []
        Monitor.objects.filter(pk__in=ids).filter(free).update(
            claimed_by=engine, claim_expires_at=now + timedelta(
                seconds=getattr(settings, "XUALA_SENTRY_CLAIM_SECONDS", CLAIM_SECONDS)))
    # The last results are large JSON documents the check does not need (an incident report
    # loads last_good when it opens): not decoding them halves the cost of a claim.
    return list(Monitor.objects.filter(pk__in=ids, claimed_by=engine)
                .select_related("site").defer("last_good", "last_result"))


@dataclass
class Outcome:
    monitor: Monitor
    result: dict  # CheckResult.as_json() of the main page, with failing extra pages noted
    ok: bool
    at: datetime


async def _check_monitor(monitor: Monitor, *, probe_options: dict) -> Outcome:
    from xuala.sentry.probe import check

    wait = (monitor.next_check_at - timezone.now()).total_seconds()
    if wait > 0:
        await asyncio.sleep(wait)
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


async def check_all(monitors: list[Monitor], *, probe_options: dict | None = None,
                    concurrency: int = 500) -> list[Outcome]:
    limit = asyncio.Semaphore(concurrency)

    async def one(monitor: Monitor) -> Outcome:
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


async def run_engine_async(*, stop: asyncio.Event, batch: int = 2000,
                           horizon_seconds: float = 2.0, concurrency: int = 2000,
                           probe_options: dict | None = None) -> None:
    """The long-running engine: claims keep flowing while slow checks are still under way.

    Claims, checks and records overlap: a claimer looks ``horizon_seconds`` ahead every
    quarter second, each check starts on its own second, and finished checks are recorded
    in batches. All database work runs in one worker thread (Django connections are
    per thread); a hanging site holds only its own task.
    """
    from concurrent.futures import ThreadPoolExecutor

    engine = engine_id()
    loop = asyncio.get_running_loop()
    db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sentry-db")
    limit = asyncio.Semaphore(concurrency)
    finished: list[Outcome] = []
    in_flight: set[asyncio.Task] = set()
    last_sync = 0.0
    options = probe_options or {}

    async def one(monitor: Monitor) -> None:
        async with limit:
            finished.append(await _check_monitor(monitor, probe_options=options))

    try:
        while not stop.is_set():
            if time.monotonic() - last_sync > 60:
                await loop.run_in_executor(db, services.monitors_sync)
                last_sync = time.monotonic()
            room = max(0, batch - len(in_flight))
            monitors = []
            if room:
                monitors = await loop.run_in_executor(db, lambda room=room: claim(
                    engine=engine, now=timezone.now(), batch=room,
                    horizon=timedelta(seconds=horizon_seconds)))
            for monitor in monitors:
                task = asyncio.create_task(one(monitor))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if finished:
                done, finished[:] = finished[:], []
                await loop.run_in_executor(db, lambda d=done: services.outcomes_record(
                    engine=engine, outcomes=d))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.25)
        # Finish what was claimed so no claim is left to expire.
        if in_flight:
            await asyncio.wait(in_flight, timeout=35)
        if finished:
            await loop.run_in_executor(db, lambda: services.outcomes_record(
                engine=engine, outcomes=list(finished)))
    finally:
        await loop.run_in_executor(db, lambda: connection.close())  # the worker's connection
        db.shutdown(wait=True)


def run_engine(*, batch: int = 2000, probe_options: dict | None = None) -> None:
    """Run until SIGTERM or SIGINT (on uvloop where it is installed)."""
    import signal

    try:
        import uvloop
    except ImportError:  # pragma: no cover - optional
        uvloop = None

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
