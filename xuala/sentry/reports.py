"""Monthly reports of Online Sentry: a customer's sites, the servers, the incidents of a month.

Why a report is what the customer was promised: every figure comes from ``uptime`` (the same
rules as the commitment window), monitors are those the customer had during the month (a
retired monitor still counts for the months it watched), and a monitor of another customer
answers 404, never its figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, When
from django.http import Http404
from django.utils import timezone

from xuala.customers.models import Customer, Site
from xuala.sentry.models import Incident, Monitor, MonitorKind
from xuala.sentry.series import DayUptime, StripHour, daily_uptimes, minute_strips
from xuala.sentry.uptime import (
    Month,
    Uptime,
    commitment_days,
    commitment_percent,
    commitment_window,
    incidents_open_before,
    uptimes,
)


@dataclass(frozen=True)
class MonitorMonth:
    monitor: Monitor
    uptime: Uptime
    days: list[DayUptime]
    incidents: list[Incident]
    strip: list[StripHour] | None


def incidents_between(*, monitors: list[Monitor], start: datetime, end: datetime
                      ) -> dict[int, list[Incident]]:
    """Incidents that overlap [start, end), oldest first (without their bulky reports)."""
    found: dict[int, list[Incident]] = defaultdict(list)
    for incident in (Incident.objects.filter(monitor_id__in=[m.pk for m in monitors],
                                             started_at__lt=end)
                     .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=start))
                     .defer("report").order_by("started_at")):
        found[incident.monitor_id].append(incident)
    return found


def monitor_months(*, monitors: list[Monitor], month: Month, now: datetime | None = None,
                   days: bool = True, incidents: bool = True, strips: bool = False
                   ) -> list[MonitorMonth]:
    """Everything a report shows about each monitor in ``month``, in a fixed number of
    queries."""
    now = now or timezone.now()
    if not monitors:
        return []
    start, end = month.start, month.end
    ids = [m.pk for m in monitors]
    open_now = incidents_open_before(ids, end)
    figures = uptimes(monitors=monitors, start=start, end=end, now=now, open_incidents=open_now)
    per_day = (daily_uptimes(monitors=monitors, start=start, end=end, now=now,
                             open_incidents=open_now) if days else {})
    listed = incidents_between(monitors=monitors, start=start, end=end) if incidents else {}
    strip = (minute_strips(monitors=monitors, now=now, open_incidents=open_now) if strips
             else {})
    return [MonitorMonth(monitor=m, uptime=figures[m.pk], days=per_day.get(m.pk, []),
                         incidents=listed.get(m.pk, []), strip=strip.get(m.pk) if strips
                         else None) for m in monitors]


def _report_monitors() -> object:
    return (Monitor.objects.select_related("site__server", "server", "customer")
            .defer("last_result", "extra_urls"))


def customer_monitors(*, customer: Customer, month: Month | None = None) -> list[Monitor]:
    """The customer's site monitors and the server monitors of the servers hosting its sites
    that were live in ``month`` (active, or retired during or after it); sites first."""
    server_ids = Site.objects.filter(customer=customer, server__isnull=False).values("server_id")
    live = Q(is_active=True)
    if month is not None:
        live |= Q(retired_at__gte=month.start)
    order = Case(When(kind=MonitorKind.SITE, then=0), default=1, output_field=IntegerField())
    return list(_report_monitors().filter(live).filter(
        Q(kind=MonitorKind.SITE, site__customer=customer)
        | Q(kind=MonitorKind.SERVER, server_id__in=server_ids)).order_by(order, "name", "pk"))


def customer_monitor(*, customer: Customer | None, pk: int) -> Monitor:
    """One monitor the customer may see (its sites, the servers hosting them); 404 else."""
    if customer is None:
        raise Http404("no such monitor")
    for monitor in customer_monitors(customer=customer, month=None):
        if monitor.pk == pk:
            return monitor
    # A retired monitor of the customer is still part of its past reports.
    server_ids = Site.objects.filter(customer=customer, server__isnull=False).values("server_id")
    monitor = _report_monitors().filter(pk=pk).filter(
        Q(kind=MonitorKind.SITE, site__customer=customer)
        | Q(kind=MonitorKind.SERVER, server_id__in=server_ids)).first()
    if monitor is None:
        raise Http404("no such monitor")
    return monitor


@dataclass(frozen=True)
class Report:
    customer: Customer
    month: Month
    commitment: Decimal
    generated_at: datetime
    sites: list[MonitorMonth]
    servers: list[MonitorMonth]
    # §6.2 The commitment's own period (uptime.period_days), whatever month is shown.
    window_days: int = 30
    window: list[tuple[Monitor, Uptime]] = field(default_factory=list)

    @property
    def monitors(self) -> list[MonitorMonth]:
        return [*self.sites, *self.servers]

    @property
    def all_met(self) -> bool:
        return all(mm.uptime.meets_commitment for mm in self.monitors if mm.uptime.has_data)


def customer_report(*, customer: Customer, month: Month, now: datetime | None = None,
                    strips: bool = False) -> Report:
    """The monthly uptime report of one customer: its sites and their servers."""
    now = now or timezone.now()
    monitors = customer_monitors(customer=customer, month=month)
    rows = monitor_months(monitors=monitors, month=month, now=now, strips=strips)
    live = [m for m in monitors if m.is_active]
    start, end = commitment_window(now=now)
    figures = uptimes(monitors=live, start=start, end=end, now=now) if live else {}
    return Report(customer=customer, month=month, commitment=commitment_percent(),
                  generated_at=now,
                  sites=[r for r in rows if r.monitor.kind == MonitorKind.SITE],
                  servers=[r for r in rows if r.monitor.kind == MonitorKind.SERVER],
                  window_days=commitment_days(),
                  window=[(m, figures[m.pk]) for m in live])


def report_customer(*, pk: int) -> Customer:
    """A customer whose report an agent asked for; 404 when there is none."""
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise Http404("no such customer")
    return customer


def servers_report(*, month: Month, now: datetime | None = None) -> list[MonitorMonth]:
    """Every hosting server's uptime in ``month`` (the company's view of §6.2)."""
    monitors = list(_report_monitors().filter(kind=MonitorKind.SERVER)
                    .filter(Q(is_active=True) | Q(retired_at__gte=month.start))
                    .order_by("name", "pk"))
    return monitor_months(monitors=monitors, month=month, now=now, days=False)
