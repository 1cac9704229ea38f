"""Reads of Online Sentry: uptime against the policy's commitment, reports, chart data, the board.

Uptime is held against the policy's commitment (§6.2: 99.7 %, 0.3 % reserved for failures)
over the policy's period (``uptime.period_days``: the last 30 days, ``commitment_window``),
and reported per calendar month in the policy's zone as well. The sources, which never overlap, are:

- ``UptimeHour`` rows (kept 30 days): one per monitor and UTC hour. Month bounds in the
  policy's zone fall on whole UTC hours (Madrid is a whole-hour offset), so an hour row
  belongs to exactly one month.
- ``UptimeDay`` rows (kept a year): hours folded by compaction, one per monitor and *local*
  day in the policy's zone. Compaction deletes the hours it folds, so a day that is partly
  compacted has a day row and its remaining hour rows; both are summed.
- An incident still open: its downtime reaches the rollups only when it is resolved, so it
  counts here from its start (or the period's) until now.

Maintenance (downtime during a maintenance window, recorded apart by the engine) is taken
out of the period rather than counted as downtime. The allowance is the part of the period
the commitment reserves for failures: 0.3 % of the counted seconds of the whole month
(129.6 min for 30 days, 133.92 min for 31). Percentages are truncated, never rounded up, so
a month that missed the commitment never reads 99.700 %.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Case, Count, IntegerField, Q, Sum, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import Http404
from django.utils import timezone

from xuala.customers.models import Customer, Site
from xuala.sentry.models import Incident, Monitor, MonitorKind, UptimeDay, UptimeHour

THOUSANDTH = Decimal("0.001")
HUNDREDTH = Decimal("0.01")
PHASES = ("dns", "connect", "tls", "ttfb", "total")
UP, DOWN, NONE = "up", "down", "none"


def _policy():
    from xuala.policy.selectors import policy_active

    return policy_active()


def policy_tz() -> tzinfo:
    return _policy().calendar.tz


def commitment_percent() -> Decimal:
    return _policy().policy.uptime.commitment


def commitment_days() -> int:
    """The period the uptime commitment is measured over, in days (§6.2, uptime.period_days)."""
    return _policy().policy.uptime.period_days


def commitment_window(*, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the commitment's period under way: the last ``period_days`` local days
    of the policy's zone, today included (figures run up to now; the allowance is the whole
    period's)."""
    tz = policy_tz()
    today = (now or timezone.now()).astimezone(tz).date()
    first = today - timedelta(days=commitment_days() - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    following = today + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _floor_percent(up: int, of: int) -> Decimal | None:
    if of <= 0:
        return None
    value = Decimal(max(0, up)) * 100 / Decimal(of)
    return value.quantize(THOUSANDTH, rounding=ROUND_FLOOR)


# ---------------------------------------------------------------- months

def month_bounds(year: int, month: int, tz) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in ``tz``, as UTC instants.

    UTC, because Python subtracts and compares two datetimes sharing one tzinfo by their
    wall clocks: October in Madrid would otherwise last 744 hours instead of 745.
    """
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    tz: tzinfo

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def start(self) -> datetime:
        return month_bounds(self.year, self.month, self.tz)[0]

    @property
    def end(self) -> datetime:
        return month_bounds(self.year, self.month, self.tz)[1]

    @property
    def hours(self) -> int:
        return round((self.end - self.start).total_seconds() / 3600)

    def previous(self) -> Month:
        if self.month == 1:
            return Month(self.year - 1, 12, self.tz)
        return Month(self.year, self.month - 1, self.tz)

    def following(self) -> Month:
        if self.month == 12:
            return Month(self.year + 1, 1, self.tz)
        return Month(self.year, self.month + 1, self.tz)

    def __str__(self) -> str:
        return self.key


def month_current(*, now: datetime | None = None) -> Month:
    tz = policy_tz()
    local = (now or timezone.now()).astimezone(tz)
    return Month(local.year, local.month, tz)


MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)


def month_parse(value: str | None, *, now: datetime | None = None) -> Month | None:
    """The month a ``YYYY-MM`` string names, or None when it is malformed or in the future."""
    if not value:
        return None
    # ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
    found = MONTH_RE.fullmatch(value.strip())
    if found is None:
        return None
    year, month = int(found[1]), int(found[2])
    if not (2000 <= year <= 9999 and 1 <= month <= 12):
        return None
    current = month_current(now=now)
    if (year, month) > (current.year, current.month):
        return None
    return Month(year, month, current.tz)


def months_recent(*, now: datetime | None = None, count: int = 12) -> list[Month]:
    """The current month and the ones before it, newest first (day rollups keep a year)."""
    months = [month_current(now=now)]
    while len(months) < count:
        months.append(months[-1].previous())
    return months


def local_days(start: datetime, end: datetime, tz) -> list[tuple[date, datetime, datetime]]:
    """(local date, its start, its end) as UTC instants for the local days in [start, end);
    a day is 23, 24 or 25 hours long across daylight-saving changes."""
    out = []
    day = start.astimezone(tz).date()
    end = end.astimezone(UTC)
    while True:
        day_start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
        if day_start >= end:
            break
        following = day + timedelta(days=1)
        day_end = datetime(following.year, following.month, following.day,
                           tzinfo=tz).astimezone(UTC)
        out.append((day, day_start, day_end))
        day = following
    return out


# ---------------------------------------------------------------- uptime

@dataclass(frozen=True)
class Uptime:
    """A monitor's uptime in [start, end), measured until ``measured_until`` (now, for the
    month under way)."""

    start: datetime
    end: datetime
    measured_until: datetime
    down_seconds: int
    maintenance_seconds: int
    commitment: Decimal  # percent, e.g. 99.7
    has_data: bool = True

    @property
    def period_seconds(self) -> int:
        return round((self.end - self.start).total_seconds())

    @property
    def elapsed_seconds(self) -> int:
        return max(0, round((self.measured_until - self.start).total_seconds()))

    @property
    def counted_seconds(self) -> int:
        """The month's seconds under the commitment: all of it but maintenance."""
        return max(0, self.period_seconds - self.maintenance_seconds)

    @property
    def is_complete(self) -> bool:
        return self.measured_until >= self.end

    @property
    def percent(self) -> Decimal | None:
        """Uptime so far, truncated to three decimals; None before anything was counted."""
        counted = max(0, self.elapsed_seconds - self.maintenance_seconds)
        return _floor_percent(counted - self.down_seconds, counted)

    @property
    def allowed_seconds(self) -> Decimal:
        return Decimal(self.counted_seconds) * (100 - self.commitment) / 100

    @property
    def allowance_left_seconds(self) -> Decimal:
        """Negative once the allowance is spent."""
        return self.allowed_seconds - self.down_seconds

    @property
    def meets_commitment(self) -> bool:
        return Decimal(self.down_seconds) <= self.allowed_seconds

    @property
    def down_minutes(self) -> Decimal:
        return (Decimal(self.down_seconds) / 60).quantize(HUNDREDTH)

    @property
    def allowed_minutes(self) -> Decimal:
        return (self.allowed_seconds / 60).quantize(HUNDREDTH)

    @property
    def allowance_left_minutes(self) -> Decimal:
        return (self.allowance_left_seconds / 60).quantize(HUNDREDTH)

    @property
    def overrun_minutes(self) -> Decimal:
        """Minutes of downtime beyond the allowance (0 while within it)."""
        return (max(Decimal(0), -self.allowance_left_seconds) / 60).quantize(HUNDREDTH)

    @property
    def allowance_used_percent(self) -> int:
        """How much of the allowance is spent, 0-100, for a meter."""
        if self.allowed_seconds <= 0:
            return 100 if self.down_seconds else 0
        return min(100, math.ceil(Decimal(self.down_seconds) * 100 / self.allowed_seconds))


def _measured_until(monitor: Monitor, start: datetime, end: datetime, now: datetime) -> datetime:
    until = min(end, max(now, start))
    if not monitor.is_active and monitor.retired_at is not None:
        until = min(until, max(monitor.retired_at, start))
    return until


def _open_incidents(ids: list[int], before: datetime) -> dict[int, list[Incident]]:
    found: dict[int, list[Incident]] = defaultdict(list)
    for incident in (Incident.objects.filter(monitor_id__in=ids, resolved_at__isnull=True,
                                             started_at__lt=before)
                     .defer("report").order_by("started_at")):
        found[incident.monitor_id].append(incident)
    return found


def _open_seconds(incident: Incident, start: datetime, until: datetime) -> int:
    """Seconds of an open incident inside [start, until); a started second counts, as in the
    rollups."""
    seconds = (until - max(incident.started_at, start)).total_seconds()
    return math.ceil(seconds) if seconds > 0 else 0


def uptimes(*, monitors: list[Monitor], start: datetime, end: datetime,
            now: datetime | None = None,
            open_incidents: dict[int, list[Incident]] | None = None) -> dict[int, Uptime]:
    """Uptime of each monitor in [start, end) (local midnights of the policy's zone), in three
    queries however many monitors there are."""
    now = now or timezone.now()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    tz = policy_tz()
    ids = [m.pk for m in monitors]
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # down, maintenance, rows
    hours = (UptimeHour.objects.filter(monitor_id__in=ids, hour__gte=start, hour__lt=end)
             .values("monitor_id").order_by()
             .annotate(down=Sum("down_seconds"), maint=Sum("maintenance_seconds"),
                       rows=Count("id")))
    days = (UptimeDay.objects.filter(monitor_id__in=ids, day__gte=start.astimezone(tz).date(),
                                     day__lt=end.astimezone(tz).date())
            .values("monitor_id").order_by()
            .annotate(down=Sum("down_seconds"), maint=Sum("maintenance_seconds"),
                      rows=Count("id")))
    for row in [*hours, *days]:
        acc = sums[row["monitor_id"]]
        acc[0] += row["down"] or 0
        acc[1] += row["maint"] or 0
        acc[2] += row["rows"]
    if open_incidents is None:
        open_incidents = _open_incidents(ids, end)
    commitment = commitment_percent()
    out = {}
    for monitor in monitors:
        until = _measured_until(monitor, start, end, now)
        down, maint, rows = sums[monitor.pk]
        for incident in open_incidents.get(monitor.pk, ()):
            if incident.started_at >= end:
                continue
            rows += 1
            if incident.in_maintenance:
                maint += _open_seconds(incident, start, until)
            else:
                down += _open_seconds(incident, start, until)
        out[monitor.pk] = Uptime(start=start, end=end, measured_until=until, down_seconds=down,
                                 maintenance_seconds=maint, commitment=commitment,
                                 has_data=rows > 0)
    return out


def monitor_uptime(*, monitor: Monitor, start: datetime, end: datetime,
                   now: datetime | None = None) -> Uptime:
    """Uptime of one monitor in [start, end): rolled-up hours and days plus an incident still
    open; maintenance is out of the period."""
    return uptimes(monitors=[monitor], start=start, end=end, now=now)[monitor.pk]


# ---------------------------------------------------------------- per day and per minute

@dataclass(frozen=True)
class DayUptime:
    day: date
    start: datetime
    end: datetime
    measured_until: datetime
    down_seconds: int
    maintenance_seconds: int
    has_data: bool

    @property
    def percent(self) -> Decimal | None:
        if not self.has_data:
            return None
        elapsed = max(0, round((self.measured_until - self.start).total_seconds()))
        counted = max(0, elapsed - self.maintenance_seconds)
        return _floor_percent(counted - self.down_seconds, counted)


def daily_uptimes(*, monitors: list[Monitor], start: datetime, end: datetime,
                  now: datetime | None = None,
                  open_incidents: dict[int, list[Incident]] | None = None
                  ) -> dict[int, list[DayUptime]]:
    """Each monitor's uptime per local day in [start, end), in three queries."""
    now = now or timezone.now()
    tz = policy_tz()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    ids = [m.pk for m in monitors]
    days = local_days(start, end, tz)
    # monitor -> day -> [down, maintenance, rows]
    acc: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for row in (UptimeHour.objects.filter(monitor_id__in=ids, hour__gte=start, hour__lt=end)
                .values_list("monitor_id", "hour", "down_seconds", "maintenance_seconds")):
        cell = acc[row[0]][row[1].astimezone(tz).date()]
        cell[0] += row[2]
        cell[1] += row[3]
        cell[2] += 1
    if days:
        for row in (UptimeDay.objects.filter(monitor_id__in=ids, day__gte=days[0][0],
                                             day__lte=days[-1][0])
                    .values_list("monitor_id", "day", "down_seconds", "maintenance_seconds")):
            cell = acc[row[0]][row[1]]
            cell[0] += row[2]
            cell[1] += row[3]
            cell[2] += 1
    if open_incidents is None:
        open_incidents = _open_incidents(ids, end)
    out: dict[int, list[DayUptime]] = {}
    for monitor in monitors:
        series = []
        for day, day_start, day_end in days:
            until = _measured_until(monitor, day_start, day_end, now)
            down, maint, rows = acc[monitor.pk].get(day, (0, 0, 0))
            for incident in open_incidents.get(monitor.pk, ()):
                if incident.started_at >= until:
                    continue
                rows += 1
                if incident.in_maintenance:
                    maint += _open_seconds(incident, day_start, until)
                else:
                    down += _open_seconds(incident, day_start, until)
            series.append(DayUptime(day=day, start=day_start, end=day_end, measured_until=until,
                                    down_seconds=down, maintenance_seconds=maint,
                                    has_data=rows > 0 and until > day_start))
        out[monitor.pk] = series
    return out


def daily_downtime(*, monitor: Monitor, start: datetime, end: datetime,
                   now: datetime | None = None) -> list[tuple[str, int]]:
    """Seconds down per local day in [start, end), as (ISO date, seconds)."""
    series = daily_uptimes(monitors=[monitor], start=start, end=end, now=now)[monitor.pk]
    return [(d.day.isoformat(), d.down_seconds) for d in series]


@dataclass(frozen=True)
class StripHour:
    start: datetime  # UTC
    minutes: tuple[str, ...]  # 60 of "up", "down", "none"


def minute_strips(*, monitors: list[Monitor], now: datetime | None = None, hours: int = 24,
                  open_incidents: dict[int, list[Incident]] | None = None
                  ) -> dict[int, list[StripHour]]:
    """The last ``hours`` hours of each monitor minute by minute, from the hourly bitmaps (and
    an incident still open): down, up (checked, not down), or no data (not checked, or later
    than now). Two queries."""
    from xuala.sentry.services import split_by_hour  # pure arithmetic shared with the rollups

    now = (now or timezone.now()).astimezone(UTC)
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=hours - 1)
    ids = [m.pk for m in monitors]
    rows: dict[tuple[int, datetime], tuple[int, int]] = {}
    for monitor_id, hour, checks, bits in (
            UptimeHour.objects.filter(monitor_id__in=ids, hour__gte=first, hour__lte=last)
            .values_list("monitor_id", "hour", "checks", "down_minutes")):
        rows[(monitor_id, hour.astimezone(UTC))] = (checks, bits)
    extra: dict[tuple[int, datetime], int] = defaultdict(int)
    if open_incidents is None:
        open_incidents = _open_incidents(ids, now)
    for monitor_id, incidents in open_incidents.items():
        for incident in incidents:
            if incident.in_maintenance or incident.started_at >= now:
                continue  # maintenance is not downtime, as in the rollups
            for hour, _seconds, bits in split_by_hour(max(incident.started_at, first), now):
                extra[(monitor_id, hour.astimezone(UTC))] |= bits
    out: dict[int, list[StripHour]] = {}
    for monitor in monitors:
        strip = []
        for index in range(hours):
            hour = first + timedelta(hours=index)
            checks, bits = rows.get((monitor.pk, hour), (0, 0))
            bits |= extra.get((monitor.pk, hour), 0)
            minutes = []
            for minute in range(60):
                if hour + timedelta(minutes=minute) >= now:
                    minutes.append(NONE)
                elif bits >> minute & 1:
                    minutes.append(DOWN)
                elif checks or bits:
                    minutes.append(UP)
                else:
                    minutes.append(NONE)
            strip.append(StripHour(start=hour, minutes=tuple(minutes)))
        out[monitor.pk] = strip
    return out


# ---------------------------------------------------------------- reports

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
    open_now = _open_incidents(ids, end)
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


# ---------------------------------------------------------------- the console's board

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
    open_now = _open_incidents([m.pk for m in found], month.end)
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
