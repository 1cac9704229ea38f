"""The console's board: every monitor, the ones that are down first, and an incident's page.

Why the order is stable: down first, then pending, then up, then by name and id, so a page
boundary never repeats or skips a monitor while states do not change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Case, Count, IntegerField, Q, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import Http404
from django.utils import timezone

from xuala.sentry.models import Incident, Monitor
from xuala.sentry.uptime import (
    DOWN,
    PHASES,
    UP,
    Month,
    Uptime,
    incidents_open_before,
    month_current,
    uptimes,
)


def _down_first():
    return Case(When(state="down", then=0), When(pending_state="down", then=1),
                When(state="unknown", then=2), default=3, output_field=IntegerField())


def board(*, now: datetime | None = None) -> list[Monitor]:
    """Every active monitor, down ones first, for the console's live status board."""
    return list(Monitor.objects.filter(is_active=True)
                .select_related("customer", "site", "server")
                .order_by(_down_first(), "name", "pk"))


@dataclass(frozen=True)
class BoardRow:
    monitor: Monitor
    uptime: Uptime
    incident: Incident | None
    certificate_days: int | None
    phases: list[tuple[str, float | None]]

    @property
    def is_pending(self) -> bool:
        return bool(self.monitor.pending_state) and self.monitor.pending_state != \
            self.monitor.state


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    counts: dict[str, int]
    page: int
    has_next: bool
    month: Month
    now: datetime


def _days_left(not_after: str | None, now: datetime) -> int | None:
    if not not_after:
        return None
    try:
        when = datetime.fromisoformat(str(not_after))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return math.floor((when - now).total_seconds() / 86400)


def board_page(*, now: datetime | None = None, page: int = 1, page_size: int = 100,
               search: str | None = None) -> BoardPage:
    """A page of the board: active monitors, down ones first (then those confirming a failure,
    then the unknown), with this month's uptime, the open incident and the certificate's days
    left (from the last good check). A fixed number of queries per page."""
    now = now or timezone.now()
    page = max(1, page)
    monitors = (Monitor.objects.filter(is_active=True)
                .select_related("customer", "site", "server")
                .defer("extra_urls")
                .annotate(cert_not_after=KeyTextTransform(
                    "not_after", KeyTransform("certificate", "last_good__result"))))
    if search:
        monitors = monitors.filter(Q(name__icontains=search) | Q(url__icontains=search)
                                   | Q(customer__name__icontains=search)
                                   | Q(server__name__icontains=search))
    offset = (page - 1) * page_size
    found = list(monitors.order_by(_down_first(), "name", "pk")[offset:offset + page_size + 1])
    has_next = len(found) > page_size
    found = found[:page_size]
    counts = {UP: 0, DOWN: 0, "pending": 0, "unknown": 0}
    for row in (Monitor.objects.filter(is_active=True).values("state", "pending_state")
                .order_by().annotate(n=Count("id"))):
        if row["state"] == DOWN:
            counts[DOWN] += row["n"]
        elif row["pending_state"] == DOWN:
            counts["pending"] += row["n"]
        elif row["state"] == UP:
            counts[UP] += row["n"]
        else:
            counts["unknown"] += row["n"]
    month = month_current(now=now)
    open_now = incidents_open_before([m.pk for m in found], month.end)
    figures = uptimes(monitors=found, start=month.start, end=month.end, now=now,
                      open_incidents=open_now)
    rows = []
    for monitor in found:
        timings = ((monitor.last_result or {}).get("timings") or {})
        incidents = open_now.get(monitor.pk) or [None]
        rows.append(BoardRow(monitor=monitor, uptime=figures[monitor.pk], incident=incidents[-1],
                             certificate_days=_days_left(monitor.cert_not_after, now),
                             phases=[(phase, timings.get(phase)) for phase in PHASES]))
    return BoardPage(rows=rows, counts=counts, page=page, has_next=has_next, month=month,
                     now=now)


def incident_for_agent(*, pk: int) -> Incident:
    """One incident with its whole report, for the console; 404 when there is none."""
    incident = (Incident.objects.select_related("monitor", "monitor__site", "monitor__server",
                                                "monitor__customer", "ticket")
                .filter(pk=pk).first())
    if incident is None:
        raise Http404("no such incident")
    return incident
