"""The uptime rules of Online Sentry: the policy's commitment, its period, months, uptime.

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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from xuala.sentry.models import Incident, Monitor, UptimeDay, UptimeHour

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


def floor_percent(up: int, of: int) -> Decimal | None:
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
        return floor_percent(counted - self.down_seconds, counted)

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


def measured_until(monitor: Monitor, start: datetime, end: datetime, now: datetime) -> datetime:
    until = min(end, max(now, start))
    if not monitor.is_active and monitor.retired_at is not None:
        until = min(until, max(monitor.retired_at, start))
    return until


def incidents_open_before(ids: list[int], before: datetime) -> dict[int, list[Incident]]:
    found: dict[int, list[Incident]] = defaultdict(list)
    for incident in (Incident.objects.filter(monitor_id__in=ids, resolved_at__isnull=True,
                                             started_at__lt=before)
                     .defer("report").order_by("started_at")):
        found[incident.monitor_id].append(incident)
    return found


def open_seconds(incident: Incident, start: datetime, until: datetime) -> int:
    """Seconds of an open incident inside [start, until); a started second counts, as in the
    rollups."""
    seconds = (until - max(incident.started_at, start)).total_seconds()
    return math.ceil(seconds) if seconds > 0 else 0


def with_open_incidents(incidents, sums, *, start: datetime, until: datetime,
                        before: datetime) -> tuple[int, int, int]:
    """A span's sums (down seconds, maintenance seconds, rows) with the incidents still open
    that began before ``before`` added from ``start`` until ``until``: their downtime reaches
    the rollups only when they are resolved, so counting them here never counts twice."""
    down, maint, rows = sums
    for incident in incidents:
        if incident.started_at >= before:
            continue
        rows += 1
        if incident.in_maintenance:
            maint += open_seconds(incident, start, until)
        else:
            down += open_seconds(incident, start, until)
    return down, maint, rows


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
        open_incidents = incidents_open_before(ids, end)
    commitment = commitment_percent()
    out = {}
    for monitor in monitors:
        until = measured_until(monitor, start, end, now)
        down, maint, rows = with_open_incidents(
            open_incidents.get(monitor.pk, ()), sums[monitor.pk], start=start, until=until,
            before=end)
        out[monitor.pk] = Uptime(start=start, end=end, measured_until=until, down_seconds=down,
                                 maintenance_seconds=maint, commitment=commitment,
                                 has_data=rows > 0)
    return out


def monitor_uptime(*, monitor: Monitor, start: datetime, end: datetime,
                   now: datetime | None = None) -> Uptime:
    """Uptime of one monitor in [start, end): rolled-up hours and days plus an incident still
    open; maintenance is out of the period."""
    return uptimes(monitors=[monitor], start=start, end=end, now=now)[monitor.pk]
