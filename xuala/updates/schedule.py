"""When the Tuesday runs happen: the policy's weekday and window, in the policy's time zone,
and which sites take part.

A site's run starts at a fixed fraction of the window: the sites of one hosting server are
spread evenly over it (the first at its start, the next ``window / n`` later…), so a node
starts its sites one after another instead of all at once; the engine's per-node cap
(``XUALA_UPDATES_PER_NODE``) keeps a slow run from overlapping too many others. Times are
computed in the policy's zone and stored in UTC, so daylight-saving changes move nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from xuala.customers.models import Cms, Contract, Site
from xuala.policy.schema import WEEKDAYS

SERVICE = "weekly_updates"
DEFAULT_WINDOW = (2 * 60, 6 * 60)  # 02:00-06:00 when the policy file names none
WORDPRESS = (Cms.WORDPRESS, Cms.WOOCOMMERCE)


@dataclass(frozen=True)
class Terms:
    weekday: int  # Monday 0
    window: tuple[int, int]  # minutes after midnight, [start, end)
    tz: ZoneInfo

    def window_on(self, day: date) -> tuple[datetime, datetime]:
        """The window of ``day`` as UTC instants."""
        start, end = self.window
        midnight = datetime.combine(day, time(0), tzinfo=self.tz)
        first = _local(day, start, self.tz)
        last = _local(day, end, self.tz) if end < 1440 else _local(
            (midnight + timedelta(days=1)).date(), 0, self.tz)
        return first, last

    def slot_after(self, after: datetime, fraction: float) -> datetime:
        """The first run start at ``fraction`` of a window that is not before ``after``."""
        day = after.astimezone(self.tz).date()
        for _ in range(15):
            if day.weekday() == self.weekday:
                start, end = self.window_on(day)
                at = start + (end - start) * fraction
                if at >= after:
                    return at.replace(microsecond=0)
            day += timedelta(days=1)
        raise AssertionError("no window within a fortnight")  # pragma: no cover

    def day_of(self, instant: datetime) -> date:
        """The run day (policy zone) an instant of its window belongs to."""
        return instant.astimezone(self.tz).date()

    def window_end(self, instant: datetime) -> datetime:
        return self.window_on(self.day_of(instant))[1]


def _local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).astimezone(UTC)


def terms() -> Terms:
    """The policy's terms for the weekly updates (weekday, window, zone)."""
    from xuala.policy.selectors import policy_active

    loaded = policy_active()
    service = loaded.policy.services.get(SERVICE)
    weekday = WEEKDAYS.index(service.weekday) if service and service.weekday else 1
    window = service.window if service and service.window else DEFAULT_WINDOW
    return Terms(weekday=weekday, window=tuple(window), tz=loaded.calendar.tz)


def plan_sites(*, on: date) -> list[Site]:
    """WordPress sites with a document root on a server, covered on ``on`` by an active
    contract whose plan includes the weekly updates; by server, then id."""
    from xuala.policy.selectors import policy_active

    plans = [p.key for p in policy_active().policy.plans if SERVICE in p.services]
    named: set[int] = set()
    whole: set[int] = set()  # customers whose contract covers all their sites
    for contract in (Contract.objects.filter(Contract.active_q(on), plan_key__in=plans)
                     .prefetch_related("sites")):
        ids = {s.pk for s in contract.sites.all()}
        if ids:
            named |= ids
        else:
            whole.add(contract.customer_id)
    return list(Site.objects.filter(Q(pk__in=named) | Q(customer_id__in=whole),
                                    server__isnull=False, root__isnull=False,
                                    cms__in=WORDPRESS)
                .select_related("server", "customer").order_by("server_id", "pk"))


def fractions(sites: list[Site]) -> dict[int, float]:
    """Each site's place in the window: the sites of one server evenly apart."""
    by_server: dict[int, list[int]] = {}
    for site in sites:
        by_server.setdefault(site.server_id, []).append(site.pk)
    out = {}
    for ids in by_server.values():
        for position, pk in enumerate(sorted(ids)):
            out[pk] = position / len(ids)
    return out
