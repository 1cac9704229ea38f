"""Chart data of Online Sentry: uptime per local day and the last hours minute by minute.

Why a day's figure is right: a local day in the policy's zone is a whole number of UTC hours
(Madrid is a whole-hour offset), so each hour row, and each compacted day row, falls in
exactly one day; open incidents count from their start (or the day's) until now, as in
``uptime``. The minute strips read the kept raw checks and incidents: a minute is down when
an incident covered any part of it, up when a check or an hour row says the monitor was
watched, and none before the monitor existed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from xuala.sentry.models import Incident, Monitor, UptimeDay, UptimeHour
from xuala.sentry.uptime import (
    DOWN,
    NONE,
    UP,
    floor_percent,
    incidents_open_before,
    local_days,
    measured_until,
    policy_tz,
    with_open_incidents,
)


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
        return floor_percent(counted - self.down_seconds, counted)


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
        open_incidents = incidents_open_before(ids, end)
    out: dict[int, list[DayUptime]] = {}
    for monitor in monitors:
        series = []
        for day, day_start, day_end in days:
            until = measured_until(monitor, day_start, day_end, now)
            down, maint, rows = with_open_incidents(
                open_incidents.get(monitor.pk, ()), acc[monitor.pk].get(day, (0, 0, 0)),
                start=day_start, until=until, before=until)
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
        open_incidents = incidents_open_before(ids, now)
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
