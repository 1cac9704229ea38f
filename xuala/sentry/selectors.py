"""Reads of Online Sentry: uptime against the policy's commitment, incidents, the board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, IntegerField, Sum, When
from django.utils import timezone

from xuala.sentry.models import Incident, Monitor, UptimeDay, UptimeHour


@dataclass(frozen=True)
class Uptime:
    start: datetime
    end: datetime
    period_seconds: int
    down_seconds: int
    maintenance_seconds: int
    commitment: Decimal  # percent, e.g. 99.7

    @property
    def counted_seconds(self) -> int:
        return max(1, self.period_seconds - self.maintenance_seconds)

    @property
    def percent(self) -> float:
        return 100.0 * (1 - self.down_seconds / self.counted_seconds)

    @property
    def allowed_seconds(self) -> float:
        return float(self.counted_seconds * (100 - self.commitment) / 100)

    @property
    def allowance_left_seconds(self) -> float:
        return self.allowed_seconds - self.down_seconds

    @property
    def meets_commitment(self) -> bool:
        return self.down_seconds <= self.allowed_seconds


def monitor_uptime(*, monitor: Monitor, start: datetime, end: datetime,
                   now: datetime | None = None) -> Uptime:
    """Downtime of ``monitor`` in [start, end): rolled-up hours (or days, once compacted)
    plus an incident still open. Maintenance windows do not count."""
    from xuala.policy.selectors import policy_active

    now = now or timezone.now()
    end = min(end, max(now, start))
    hours = UptimeHour.objects.filter(monitor=monitor, hour__gte=start, hour__lt=end).aggregate(
        down=Sum("down_seconds"), maint=Sum("maintenance_seconds"))
    oldest_hour = (UptimeHour.objects.filter(monitor=monitor).order_by("hour")
                   .values_list("hour", flat=True).first())
    days = {"down": 0, "maint": 0}
    if oldest_hour is None or oldest_hour > start:
        limit = oldest_hour.date() if oldest_hour else end.date() + timedelta(days=1)
        days = UptimeDay.objects.filter(monitor=monitor, day__gte=start.date(),
                                        day__lt=limit).aggregate(
            down=Sum("down_seconds"), maint=Sum("maintenance_seconds"))
    down = (hours["down"] or 0) + (days["down"] or 0)
    maint = (hours["maint"] or 0) + (days["maint"] or 0)
    for incident in Incident.objects.filter(monitor=monitor, resolved_at__isnull=True,
                                            started_at__lt=end):
        seconds = (end - max(incident.started_at, start)).total_seconds()
        if incident.in_maintenance:
            maint += round(seconds)
        else:
            down += round(seconds)
    return Uptime(start=start, end=end, period_seconds=round((end - start).total_seconds()),
                  down_seconds=down, maintenance_seconds=maint,
                  commitment=policy_active().policy.uptime.commitment)


def month_bounds(year: int, month: int, tz) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def daily_downtime(*, monitor: Monitor, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Seconds down per day in [start, end), for the uptime charts."""
    out: dict[str, int] = {}
    day = start
    while day < end:
        out[day.date().isoformat()] = 0
        day += timedelta(days=1)
    for row in UptimeHour.objects.filter(monitor=monitor, hour__gte=start, hour__lt=end) \
            .values("hour", "down_seconds"):
        key = timezone.localtime(row["hour"], start.tzinfo).date().isoformat()
        if key in out:
            out[key] += row["down_seconds"]
    for row in UptimeDay.objects.filter(monitor=monitor, day__gte=start.date(),
                                        day__lt=end.date()).values("day", "down_seconds"):
        key = row["day"].isoformat()
        if key in out:
            out[key] += row["down_seconds"]
    return list(out.items())


def board(*, now: datetime | None = None) -> list[Monitor]:
    """Every active monitor, down ones first, for the console's live status board."""
    down_first = Case(When(state="down", then=0), When(pending_state="down", then=1),
                      default=2, output_field=IntegerField())
    return list(Monitor.objects.filter(is_active=True)
                .select_related("customer", "site", "server")
                .order_by(down_first, "name"))
