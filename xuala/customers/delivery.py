"""What each plan service is really doing for each site, read from the service's own records.

The article publishes the plans' services (§6.3); a service is claimed as running for a site
only when the software that delivers it exists and its records say so. ``PROVIDERS`` maps a
service key of the policy file to the reader of its records; a service without one is shown
as "not in service yet", in the client area and in the article, until the issue that builds
it registers its reader here (as the WSA audits, anti-spam and Tuesday updates have).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Max, Min

from xuala.customers.models import Contract, Customer, Site


@dataclass(frozen=True)
class ServiceState:
    key: str
    name: str
    running: bool  # delivered by software that exists, with records for this site
    active_since: datetime | date | None = None
    last_run: datetime | None = None
    next_run: datetime | None = None


@dataclass(frozen=True)
class SiteServices:
    site: Site
    plan_names: list[str]
    services: list[ServiceState]


@dataclass
class _Records:
    """The services' records for a group of sites, read once per page."""

    customer: Customer
    sites: Sequence[Site]
    contracts: list[Contract]
    _cache: dict | None = None
    _antispam: dict | None = None
    _urgent: dict | None = None

    def _read(self) -> dict:
        if self._cache is None:
            from xuala.desk.models import Ticket
            from xuala.sentry.models import Incident, Monitor, MonitorKind, UptimeDay, UptimeHour

            monitors = {m.site_id: m for m in Monitor.objects.filter(
                kind=MonitorKind.SITE, is_active=True, site__in=self.sites)}
            ids = [m.pk for m in monitors.values()]
            first_hour = dict(UptimeHour.objects.filter(monitor_id__in=ids)
                              .values("monitor_id").order_by().annotate(first=Min("hour"))
                              .values_list("monitor_id", "first"))
            first_day = dict(UptimeDay.objects.filter(monitor_id__in=ids)
                             .values("monitor_id").order_by().annotate(first=Min("day"))
                             .values_list("monitor_id", "first"))
            incidents = dict(Incident.objects.filter(monitor_id__in=ids)
                             .values("monitor_id").order_by()
                             .annotate(last=Max("confirmed_at"))
                             .values_list("monitor_id", "last"))
            answered = (Ticket.objects.filter(customer=self.customer, ticket_class="priority",
                                              first_response_at__isnull=False)
                        .aggregate(last=Max("first_response_at"))["last"])
            self._cache = {"monitors": monitors, "first_hour": first_hour,
                           "first_day": first_day, "incidents": incidents,
                           "answered": answered}
        return self._cache

    def monitor(self, site: Site):
        return self._read()["monitors"].get(site.pk)

    def monitored_since(self, site: Site) -> datetime | None:
        monitor = self.monitor(site)
        if monitor is None:
            return None
        records = self._read()
        found = [records["first_hour"].get(monitor.pk)]
        day = records["first_day"].get(monitor.pk)
        if day is not None:
            found.append(datetime.combine(day, time(0), tzinfo=UTC))
        found = [f for f in found if f is not None]
        return min(found) if found else monitor.last_check_at

    def contract_start(self, site: Site) -> date | None:
        starts = [c.starts_on for c in self.contracts if _covers(c, site)]
        return min(starts) if starts else None


def _online_sentry(site: Site, records: _Records) -> dict:
    monitor = records.monitor(site)
    if monitor is None or monitor.last_check_at is None:
        return {"running": False}
    return {"running": True, "active_since": records.monitored_since(site),
            "last_run": monitor.last_check_at, "next_run": monitor.next_check_at}


def _priority_support(site: Site, records: _Records) -> dict:
    return {"running": True, "active_since": records.contract_start(site),
            "last_run": records._read()["answered"]}


def _urgent_review(site: Site, records: _Records) -> dict:
    # §6.3.6: an incident of the site (an Online Sentry incident, a WSA finding of severity
    # high or critical, a failed update) opens or joins its urgent ticket, one per cause
    # (xuala.desk.urgent). Running once one of those services has run on the site, since the
    # first of them; last run: the last incident an urgent review took for the site.
    sources = [found for found in (_online_sentry(site, records), _wsa_done(site, records),
                                   _weekly_updates(site, records)) if found["running"]]
    if not sources:
        return {"running": False}
    if records._urgent is None:
        from xuala.desk.models import UrgentReview

        records._urgent = dict(UrgentReview.objects.filter(site__in=records.sites)
                               .values("site_id").order_by().annotate(last=Max("last_at"))
                               .values_list("site_id", "last"))
    since = [found["active_since"] for found in sources if found.get("active_since")]
    return {"running": True, "active_since": min(since) if since else None,
            "last_run": records._urgent.get(site.pk)}


def _wsa_done(site: Site, records: _Records) -> dict:
    # The audit counts as watching the site once one has been carried out.
    found = _wsa(site, records)
    return found if found.get("last_run") else {"running": False}


def _weekly_updates(site: Site, records: _Records) -> dict:
    # Every policy weekday in the policy's window, run by the site's node (xuala.updates):
    # in service once a run was carried out; the next run as scheduled, even before that.
    from xuala.updates.selectors import site_update_state

    return site_update_state(site)


def _wsa(site: Site, records: _Records) -> dict:
    # Security audits every services.wsa.interval, run by the site's node (xuala.wsa).
    from xuala.wsa.selectors import site_audit_state

    return site_audit_state(site)


def _antispam(site: Site, records: _Records) -> dict:
    # Running once the site has a live key (xuala antispam key create): since the oldest
    # live key was created; last run, its latest verdict (test checks aside).
    if records._antispam is None:
        from xuala.antispam.models import AntispamKey, Check

        ids = [s.pk for s in records.sites]
        since = dict(AntispamKey.objects.filter(site_id__in=ids, revoked_at__isnull=True)
                     .values("site_id").order_by().annotate(first=Min("created_at"))
                     .values_list("site_id", "first"))
        last = dict(Check.objects.filter(site_id__in=ids, is_test=False)
                    .values("site_id").order_by().annotate(last=Max("at"))
                    .values_list("site_id", "last"))
        records._antispam = {site_id: (first, last.get(site_id))
                             for site_id, first in since.items()}
    found = records._antispam.get(site.pk)
    if found is None:
        return {"running": False}
    return {"running": True, "active_since": found[0], "last_run": found[1]}


PROVIDERS: dict[str, Callable[[Site, _Records], dict]] = {
    "online_sentry": _online_sentry,
    "priority_support": _priority_support,
    "urgent_review": _urgent_review,
    "wsa": _wsa,
    "antispam": _antispam,
    "weekly_updates": _weekly_updates,
}


def service_delivered(key: str) -> bool:
    """Whether software delivering the policy's service ``key`` exists at all."""
    return key in PROVIDERS


def _covers(contract: Contract, site: Site) -> bool:
    sites = list(contract.sites.all())  # prefetched
    return not sites or any(s.pk == site.pk for s in sites)


def site_services(*, customer: Customer, on: date, language: str) -> list[SiteServices]:
    """Each site of the customer covered by a plan, with the state of each of its plan's
    services (active since, last run, next run), in the policy file's order of services."""
    from xuala.customers.selectors import customer_sites
    from xuala.policy.selectors import policy_active

    policy = policy_active().policy
    contracts = list(Contract.objects.filter(customer=customer).filter(Contract.active_q(on))
                     .prefetch_related("sites"))
    if not contracts:
        return []
    sites = list(customer_sites(customer=customer))
    records = _Records(customer=customer, sites=sites, contracts=contracts)
    out = []
    for site in sites:
        plans = []
        for contract in contracts:
            if not _covers(contract, site):
                continue
            try:
                plans.append(policy.plan(contract.plan_key))
            except KeyError:
                continue
        if not plans:
            continue
        keys = [key for key in policy.services if any(key in p.services for p in plans)]
        states = []
        for key in keys:
            provider = PROVIDERS.get(key)
            found = provider(site, records) if provider else {"running": False}
            states.append(ServiceState(key=key, name=policy.services[key].name.get(language),
                                       **found))
        out.append(SiteServices(site=site, plan_names=[p.name.get(language) for p in plans],
                                services=states))
    return out
