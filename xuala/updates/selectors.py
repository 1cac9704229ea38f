"""Reads of the updates' records: a site's service state, the runs a customer may see, a
run's report (the JSON `xuala updates run --json` prints), the console's lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Max, Min

from xuala.customers.models import Customer, Site
from xuala.updates.models import (
    CheckPhase,
    ComponentStatus,
    HeldVersion,
    RunState,
    UpdateCheck,
    UpdateHold,
    UpdateRun,
    UpdateSchedule,
)


def site_update_state(site: Site) -> dict:
    """For the client area's list of plan services and the article: in service once a run
    has been carried out on the site (never before), with the next run as scheduled."""
    done = (UpdateRun.objects.filter(site=site, state=RunState.DONE)
            .aggregate(first=Min("finished_at"), last=Max("finished_at")))
    schedule = UpdateSchedule.objects.filter(site=site).values_list("next_at", flat=True).first()
    return {"running": done["first"] is not None, "active_since": done["first"],
            "last_run": done["last"], "next_run": schedule}


def next_run_day(site: Site) -> date | None:
    """The day (policy zone) of the site's next scheduled run, or None."""
    from xuala.updates.schedule import terms

    row = UpdateSchedule.objects.filter(site=site).values_list("next_at", flat=True).first()
    return terms().day_of(row) if row else None


def next_run_held(site: Site) -> bool:
    """Whether the client skips the site's next scheduled run."""
    week = next_run_day(site)
    return week is not None and UpdateHold.objects.filter(
        site=site, week=week, released_at__isnull=True).exists()


# ---------------------------------------------------------------- the client's

def runs_of_customer(*, customer: Customer):
    return UpdateRun.objects.filter(site__customer=customer).select_related("site", "ticket")


def run_for_customer(*, customer: Customer, run_id: int) -> UpdateRun | None:
    return runs_of_customer(customer=customer).filter(pk=run_id).first()


def check_for_customer(*, customer: Customer, check_id: int) -> UpdateCheck | None:
    return (UpdateCheck.objects.filter(run__site__customer=customer, pk=check_id)
            .exclude(image="").first())


def site_for_customer(*, customer: Customer, site_id: int) -> Site | None:
    """One of the customer's sites that has a weekly update schedule."""
    return Site.objects.filter(customer=customer, pk=site_id,
                               updates_schedule__isnull=False).first()


@dataclass
class SiteUpdates:
    site: Site
    next_at: datetime | None
    held_week: date | None  # the client skips the next run
    held_versions: list[HeldVersion] = field(default_factory=list)
    runs: list[UpdateRun] = field(default_factory=list)


def customer_update_sites(*, customer: Customer, runs: int = 12) -> list[SiteUpdates]:
    """Each of the customer's sites with a weekly schedule or past runs: the next run, its
    hold, the versions held back and the latest runs."""
    schedules = dict(UpdateSchedule.objects.filter(site__customer=customer)
                     .values_list("site_id", "next_at"))
    with_runs = set(UpdateRun.objects.filter(site__customer=customer)
                    .values_list("site_id", flat=True))
    out = []
    for site in Site.objects.filter(customer=customer, pk__in=set(schedules) | with_runs):
        out.append(SiteUpdates(
            site=site, next_at=schedules.get(site.pk),
            held_week=next_run_day(site) if next_run_held(site) else None,
            held_versions=list(HeldVersion.objects.filter(site=site, released_at__isnull=True)),
            runs=list(UpdateRun.objects.filter(site=site).select_related("ticket")[:runs])))
    return out


# ---------------------------------------------------------------- reports

def run_report(run: UpdateRun) -> dict:
    """The run as JSON: components with from, to and status, the ticket if one was opened."""
    job = run.job
    return {
        "run": run.pk, "site": run.site.url, "state": run.state,
        "running": bool(job and job.state == "running"), "ok": run.ok,
        "trigger": run.trigger,
        "queued_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "core": {"from": run.core_from or None, "to": run.core_to or None},
        "components": [{"type": c.type, "slug": c.slug, "name": c.name,
                        "from": c.from_version, "to": c.to_version, "status": c.status,
                        "reason": c.reason} for c in run.components.all()],
        "failing_checks": [{"phase": c.phase, "page": c.page, "status": c.status,
                            "problems": c.problems, "diff": c.diff}
                           for c in run.checks.all() if not c.ok],
        "ticket": run.ticket_id,
        "error": run.error,
    }


@dataclass(frozen=True)
class Report:
    run: UpdateRun
    components: list
    before: list[UpdateCheck]
    after: list[UpdateCheck]
    by_component: dict[int, list[UpdateCheck]]
    counts: dict[str, int]

    @property
    def pages(self) -> list[tuple[str, UpdateCheck | None, UpdateCheck | None]]:
        """(page, its check before, its check after), in the order the node checked them."""
        before = {c.page: c for c in self.before}
        after = {c.page: c for c in self.after}
        order = list(dict.fromkeys([*before, *after]))
        return [(page, before.get(page), after.get(page)) for page in order]


def report_of(run: UpdateRun) -> Report:
    components = list(run.components.all())
    checks = list(run.checks.all())
    by_component: dict[int, list[UpdateCheck]] = {}
    for check in checks:
        if check.component_id is not None:
            by_component.setdefault(check.component_id, []).append(check)
    for component in components:
        component.page_checks = by_component.get(component.pk, [])
    return Report(run=run, components=components,
                  before=[c for c in checks if c.phase == CheckPhase.BEFORE],
                  after=[c for c in checks if c.phase == CheckPhase.AFTER],
                  by_component=by_component,
                  counts={s: sum(1 for c in components if c.status == s)
                          for s in ComponentStatus.values})


# ---------------------------------------------------------------- the console's

def runs_recent(*, state: str = "", limit: int = 100):
    runs = UpdateRun.objects.select_related("site", "site__customer", "ticket", "job")
    if state:
        runs = runs.filter(state=state)
    return runs[:limit]


def schedules_upcoming(*, limit: int = 50):
    return (UpdateSchedule.objects.select_related("site", "site__server", "site__customer")
            .order_by("next_at")[:limit])
