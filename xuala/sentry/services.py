"""State changes of Online Sentry: monitors follow contracts, checks are recorded,
incidents open with a detailed report and close with their duration."""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xuala.customers.models import Contract, HostingServer, Site
from xuala.sentry import state as sm
from xuala.sentry.models import (
    Check,
    Incident,
    LastGood,
    MaintenanceWindow,
    Monitor,
    MonitorKind,
    MonitorState,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- monitors follow contracts

def _spread(key: str, interval: int) -> int:
    """A stable second within the interval, so checks spread across the minute."""
    return int(hashlib.blake2s(key.encode(), digest_size=4).hexdigest(), 16) % interval


def _first_slot(key: str, interval: int, now: datetime) -> datetime:
    base = now.replace(second=0, microsecond=0)
    slot = base + timedelta(seconds=_spread(key, interval))
    return slot if slot >= now else slot + timedelta(seconds=interval)


def monitored_site_ids(*, on: date) -> set[int]:
    """Sites covered today by a plan that includes Online Sentry (§6.3.1)."""
    from xuala.policy.selectors import policy_active

    policy = policy_active().policy
    plans = {p.key for p in policy.plans if "online_sentry" in p.services}
    ids: set[int] = set()
    contracts = Contract.objects.filter(Contract.active_q(on), plan_key__in=plans) \
        .prefetch_related("sites")
    for contract in contracts:
        sites = list(contract.sites.all())
        if sites:
            ids.update(s.pk for s in sites)
        else:
            ids.update(Site.objects.filter(customer_id=contract.customer_id)
                       .values_list("pk", flat=True))
    return ids


def check_interval_seconds() -> int:
    """Seconds between two checks of a monitor: the policy's Online Sentry interval (§6.3.1)."""
    from xuala.policy.selectors import policy_active

    service = policy_active().policy.services.get("online_sentry")
    if service is None or service.interval is None:
        return 60
    return max(1, int(service.interval.total_seconds()))


def _chunks(items: list, size: int = 500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def monitors_sync(*, now: datetime | None = None) -> dict[str, int]:
    """Create a monitor per plan site and per hosting server; retire the rest.

    Every engine runs this once a minute: the differences are found with plain reads, and a
    write transaction is opened only when there is something to change (with tens of
    thousands of monitors, holding SQLite's write lock for the whole comparison stalled the
    other engines' claims for seconds).
    """
    now = now or timezone.now()
    interval = check_interval_seconds()
    wanted = monitored_site_ids(on=timezone.localdate(now))
    known = dict(Monitor.objects.filter(kind=MonitorKind.SITE)
                 .values_list("site_id", "is_active"))
    missing = sorted(pk for pk in wanted if not known.get(pk))
    stale = sorted(pk for pk, active in known.items() if active and pk not in wanted)
    new_servers = HostingServer.objects.filter(is_active=True, monitor__isnull=True)
    dead_servers = Monitor.objects.filter(kind=MonitorKind.SERVER, is_active=True,
                                          server__is_active=False)
    # §6.3.1: the interval is the policy's (services.online_sentry.interval); a changed file
    # reaches the monitors at the next sync, each keeping its place in the interval.
    other_interval = Monitor.objects.filter(is_active=True).exclude(interval_seconds=interval)
    if other_interval.exists():
        other_interval.update(interval_seconds=interval)
    if not (missing or stale or new_servers.exists() or dead_servers.exists()):
        return {"created": 0, "retired": 0}
    made = retired = 0
    with transaction.atomic():
        for chunk in _chunks(missing):
            existing = {m.site_id: m for m in Monitor.objects.filter(
                kind=MonitorKind.SITE, site_id__in=chunk)}
            for site in Site.objects.filter(pk__in=chunk):
                monitor = existing.get(site.pk)
                if monitor is None:
                    slot = _first_slot(f"site:{site.pk}", interval, now)
                    Monitor.objects.create(kind=MonitorKind.SITE, site=site,
                                           interval_seconds=interval,
                                           customer_id=site.customer_id, name=site.url,
                                           url=site.url, next_check_at=slot, slot_at=slot)
                    made += 1
                elif not monitor.is_active:
                    Monitor.objects.filter(pk=monitor.pk).update(is_active=True, retired_at=None)
                    made += 1
        for chunk in _chunks(stale):
            retired += Monitor.objects.filter(kind=MonitorKind.SITE, is_active=True,
                                              site_id__in=chunk).update(is_active=False,
                                                                        retired_at=now)
        for server in new_servers:
            slot = _first_slot(f"server:{server.pk}", interval, now)
            Monitor.objects.create(kind=MonitorKind.SERVER, server=server, name=server.name,
                                   interval_seconds=interval,
                                   url=f"https://{server.hostname}/", status_min=200,
                                   status_max=499, next_check_at=slot, slot_at=slot)
            made += 1
        retired += dead_servers.update(is_active=False, retired_at=now)
    return {"created": made, "retired": retired}


# ---------------------------------------------------------------- recording checks

def _in_maintenance(monitor_ids: list[int], at: datetime) -> set[int]:
    """The monitors among ``monitor_ids`` inside an open maintenance window (their own, or
    their hosting server's). Most of the time no window is open: one small query."""
    windows = list(MaintenanceWindow.objects.filter(starts_at__lte=at, ends_at__gt=at)
                   .values_list("monitor_id", "server_id"))
    if not windows:
        return set()
    by_monitor = {m for m, _ in windows if m}
    by_server = {s for _, s in windows if s}
    hit = {pk for pk in monitor_ids if pk in by_monitor}
    if by_server:
        rows = Monitor.objects.filter(pk__in=monitor_ids).values_list(
            "pk", "server_id", "site__server_id")
        hit.update(pk for pk, own, site_server in rows
                   if (own or site_server) in by_server)
    return hit


def datetime_adapter():
    """A function that turns an aware datetime into the connection's parameter for it.

    Django's own adapter (``adapt_datetimefield_value``) converts through the current zone
    and checks settings on every call; the engines adapt six datetimes per check. SQLite
    stores naive UTC text (``str`` of the naive value, as Django writes it); PostgreSQL takes
    the aware value as it is.
    """
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        utc = UTC

        def sqlite_text(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is not utc:
                value = value.astimezone(utc)
            return value.isoformat(" ")[:-6]  # without "+00:00": str() of the naive value

        return sqlite_text
    ops = connection.ops
    return lambda value: ops.adapt_datetimefield_value(value) if value is not None else None


def json_adapter():
    """A function that turns a JSON-able value into the connection's parameter for a JSON
    column: plain text on SQLite, Django's own adaptation elsewhere (jsonb on PostgreSQL)."""
    if connection.vendor == "sqlite":
        return json.dumps
    ops = connection.ops
    return lambda value: ops.adapt_json_value(value, None)


UPSERT_HOUR = """
INSERT INTO sentry_uptimehour (monitor_id, hour, checks, failures, total_ms_sum,
                               down_seconds, maintenance_seconds, down_minutes)
VALUES (%s, %s, 1, %s, %s, 0, 0, 0)
ON CONFLICT (monitor_id, hour) DO UPDATE SET
  checks = sentry_uptimehour.checks + 1,
  failures = sentry_uptimehour.failures + excluded.failures,
  total_ms_sum = sentry_uptimehour.total_ms_sum + excluded.total_ms_sum
"""


UPDATE_MONITOR = """
UPDATE sentry_monitor SET state = %s, pending_state = %s, pending_since = %s,
  pending_count = %s, next_check_at = %s, slot_at = %s, claimed_by = '',
  claim_expires_at = NULL, last_check_at = %s, last_result = %s,
  last_good_at = COALESCE(%s, last_good_at), state_since = COALESCE(%s, state_since)
WHERE id = %s AND claimed_by = %s
"""

INSERT_CHECK = """
INSERT INTO sentry_check (monitor_id, at, ok, error_class, status, total_ms, result)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""

UPSERT_LAST_GOOD = """
INSERT INTO sentry_lastgood (monitor_id, at, result) VALUES (%s, %s, %s)
ON CONFLICT (monitor_id) DO UPDATE SET at = excluded.at, result = excluded.result
"""

# A steady site's good checks differ only in their timings: its last good check (a 2 KB
# document with headers, certificate and the first kilobyte of the body, for the incident
# report) is rewritten when the one stored is XUALA_SENTRY_LAST_GOOD_SECONDS old (300 by
# default), and always when the check before was not a plain good one. The report shows
# when the stored good check was made.


def outcomes_record(*, engine: str, outcomes: list) -> None:
    """Apply a batch of check outcomes (engine.Outcome) in one transaction.

    The monitors' rows are written with one prepared UPDATE run for the whole batch
    (``executemany``), the raw checks, last good checks and hourly rollups likewise: the
    ORM's per-row ``update()`` cost more than the check itself, and model instances for the
    raw checks made the engines fall behind exactly when many sites fail at once (or on the
    first check of every new monitor, which changes its state).
    """
    if not outcomes:
        return
    now = timezone.now()
    maintenance = _in_maintenance([o.monitor.pk for o in outcomes], now)
    when = datetime_adapter()
    dumps = json_adapter()
    refresh = timedelta(seconds=settings.XUALA_SENTRY_LAST_GOOD_SECONDS)
    up = MonitorState.UP
    hour_rows, monitor_rows, good_rows, checks, changes = [], [], [], [], []
    for outcome in outcomes:
        monitor, ok, at, result = outcome.monitor, outcome.ok, outcome.at, outcome.result
        clock = sm.MonitorClock(monitor.state, monitor.pending_state, monitor.pending_since,
                                monitor.pending_count, monitor.slot_at,
                                timedelta(seconds=monitor.interval_seconds))
        step = sm.step(clock, ok=ok, at=at, now=now)
        total = (result.get("timings") or {}).get("total")
        hour_rows.append((monitor.pk, when(at.replace(minute=0, second=0, microsecond=0)),
                          0 if ok else 1, float(total or 0)))
        document = None  # the result as the JSON parameter, made once for the rows below
        if not ok or step.state_changed or step.pending_state:
            document = dumps(result)
            checks.append((monitor.pk, when(at), ok, result.get("error_class") or "",
                           result.get("status"), total, document))
        good_at = None
        if ok and (monitor.state != up or monitor.pending_state or monitor.last_good_at is None
                   or at - monitor.last_good_at >= refresh):
            good_at = when(at)
            good_rows.append((monitor.pk, good_at,
                              document if document is not None else dumps(result)))
        monitor_rows.append((
            step.state, step.pending_state, when(step.pending_since), step.pending_count,
            when(step.next_check_at), when(step.slot_at), when(at), dumps(_summary(result)),
            good_at, when(step.changed_since) if step.state_changed else None,
            monitor.pk, engine))
        if step.state_changed:
            changes.append((monitor.pk, clock, step, result, at))
    with transaction.atomic():
        with connection.cursor() as cursor:
            if checks:
                cursor.executemany(INSERT_CHECK, checks)
            cursor.executemany(UPDATE_MONITOR, monitor_rows)
            if good_rows:
                cursor.executemany(UPSERT_LAST_GOOD, good_rows)
        if changes:
            models = Monitor.objects.in_bulk([pk for pk, *_ in changes])
        for pk, clock, step, result, at in changes:
            monitor = models[pk]
            if step.state == MonitorState.DOWN:
                incident_open(monitor=monitor, since=step.changed_since, confirmed_at=at,
                              last_result=result, in_maintenance=pk in maintenance)
            elif clock.state == MonitorState.DOWN:
                incident_resolve(monitor=monitor, recovered_at=step.changed_since)
        with connection.cursor() as cursor:
            cursor.executemany(UPSERT_HOUR, hour_rows)


def _summary(result: dict) -> dict:
    return {k: result.get(k) for k in ("ok", "error_class", "status", "timings", "error",
                                       "final_url")}


# ---------------------------------------------------------------- incidents

def incident_open(*, monitor: Monitor, since: datetime, confirmed_at: datetime,
                  last_result: dict | None, in_maintenance: bool) -> Incident:
    """Open an incident with the detailed report; alert staff; open the urgent ticket."""
    failing = list(Check.objects.filter(monitor=monitor, at__gte=since, ok=False)
                   .order_by("at").values("at", "result"))
    latest = failing[-1]["result"] if failing else (last_result or {})
    good = LastGood.objects.filter(monitor=monitor).values_list("result", flat=True).first()
    report = {
        "monitor": {"id": monitor.pk, "name": monitor.name, "url": monitor.url,
                    "kind": monitor.kind},
        "what": latest.get("error_class"),
        "error": latest.get("error"),
        "since": since.isoformat(),
        "failing_checks": [{"at": f["at"].isoformat(), **_evidence(f["result"])}
                           for f in failing],
        "last_good": _evidence(good) if good else None,
        "in_maintenance": in_maintenance,
    }
    incident = Incident.objects.create(monitor=monitor, started_at=since,
                                       confirmed_at=confirmed_at,
                                       error_class=latest.get("error_class") or "unknown",
                                       report=report, in_maintenance=in_maintenance)
    if not in_maintenance:
        from xuala.sentry import alerts

        alerts.incident_alert(incident=incident, event="opened")
        incident.ticket = alerts.incident_ticket(incident=incident)
        if incident.ticket:
            incident.save(update_fields=["ticket"])
    return incident


def _evidence(result: dict | None) -> dict:
    if not result:
        return {}
    keys = ("started_at", "ok", "error_class", "error", "status", "timings", "certificate",
            "redirects", "headers", "body_head", "url", "final_url", "failing_pages")
    return {k: result[k] for k in keys if k in result}


def incident_resolve(*, monitor: Monitor, recovered_at: datetime) -> Incident | None:
    incident = monitor.incidents.filter(resolved_at__isnull=True).order_by("-started_at").first()
    if incident is None:
        return None
    incident.resolved_at = recovered_at
    incident.save(update_fields=["resolved_at"])
    downtime_record(monitor=monitor, start=incident.started_at, end=recovered_at,
                    maintenance=incident.in_maintenance)
    if not incident.in_maintenance:
        from xuala.sentry import alerts

        alerts.incident_alert(incident=incident, event="resolved")
        alerts.incident_ticket_recovered(incident=incident)
    return incident


UPSERT_DOWN = """
INSERT INTO sentry_uptimehour (monitor_id, hour, checks, failures, total_ms_sum,
                               down_seconds, maintenance_seconds, down_minutes)
VALUES (%s, %s, 0, 0, 0, %s, %s, %s)
ON CONFLICT (monitor_id, hour) DO UPDATE SET
  down_seconds = sentry_uptimehour.down_seconds + excluded.down_seconds,
  maintenance_seconds = sentry_uptimehour.maintenance_seconds + excluded.maintenance_seconds,
  down_minutes = sentry_uptimehour.down_minutes | excluded.down_minutes
"""


def downtime_record(*, monitor: Monitor, start: datetime, end: datetime,
                    maintenance: bool = False) -> None:
    """Add the interval to the hourly rollups (seconds and the minute bitmap)."""
    rows = []
    for hour, seconds, bits in split_by_hour(start, end):
        rows.append((monitor.pk, hour, 0 if maintenance else seconds,
                     seconds if maintenance else 0, 0 if maintenance else bits))
    with connection.cursor() as cursor:
        cursor.executemany(UPSERT_DOWN, rows)


def split_by_hour(start: datetime, end: datetime) -> list[tuple[datetime, int, int]]:
    """(hour, whole seconds in it, bitmap of its minutes touched) for [start, end)."""
    out = []
    cursor = start
    while cursor < end:
        hour = cursor.replace(minute=0, second=0, microsecond=0)
        stop = min(end, hour + timedelta(hours=1))
        seconds = math.ceil((stop - cursor).total_seconds())  # a started second counts
        first = cursor.minute
        last = (stop - timedelta(microseconds=1)).minute if stop > cursor else first
        bits = 0
        for minute in range(first, last + 1):
            bits |= 1 << minute
        out.append((hour, seconds, bits))
        cursor = stop
    return out


def maintenance_open(*, reason: str, starts_at: datetime, ends_at: datetime,
                     monitor: Monitor | None = None, server: HostingServer | None = None,
                     note: str = "") -> MaintenanceWindow:
    if (monitor is None) == (server is None):
        raise ValueError("a maintenance window is for one monitor or one server")
    if ends_at <= starts_at:
        raise ValueError("a maintenance window must end after it starts")
    return MaintenanceWindow.objects.create(reason=reason, starts_at=starts_at, ends_at=ends_at,
                                            monitor=monitor, server=server, note=note)


def maintenance_close(*, windows: list[int], at: datetime) -> int:
    """End the given maintenance windows at ``at`` (a planned job finished early)."""
    from django.db.models import F
    from django.db.models.functions import Greatest

    return MaintenanceWindow.objects.filter(pk__in=windows, ends_at__gt=at).update(
        ends_at=Greatest(F("starts_at"), at))


def rollups_compact(*, now: datetime | None = None) -> dict[str, int]:
    """Fold hours older than the retention into days, drop old hours and raw checks."""
    now = now or timezone.now()
    keep_hours = timedelta(days=settings.XUALA_SENTRY_HOUR_DAYS)
    keep_raw = timedelta(days=settings.XUALA_SENTRY_RAW_DAYS)
    cutoff = (now - keep_hours).replace(minute=0, second=0, microsecond=0)
    from xuala.policy.selectors import policy_active
    from xuala.sentry.models import UptimeDay, UptimeHour

    tz = policy_active().calendar.tz  # days are the policy zone's days, as reports read them
    folded: dict[tuple[int, date], list[int | float]] = defaultdict(lambda: [0, 0, 0.0, 0, 0])
    old = UptimeHour.objects.filter(hour__lt=cutoff)
    for row in old.iterator():
        acc = folded[(row.monitor_id, row.hour.astimezone(tz).date())]
        acc[0] += row.checks
        acc[1] += row.failures
        acc[2] += row.total_ms_sum
        acc[3] += row.down_seconds
        acc[4] += row.maintenance_seconds
    with transaction.atomic():
        for (monitor_id, day), acc in folded.items():
            obj, _ = UptimeDay.objects.get_or_create(monitor_id=monitor_id, day=day)
            obj.checks += acc[0]
            obj.failures += acc[1]
            obj.total_ms_sum += acc[2]
            obj.down_seconds += acc[3]
            obj.maintenance_seconds += acc[4]
            obj.save()
        hours = old.delete()[0]
        raw = Check.objects.filter(at__lt=now - keep_raw).delete()[0]
    return {"days": len(folded), "hours_dropped": hours, "raw_dropped": raw}
