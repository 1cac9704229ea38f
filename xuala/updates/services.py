"""Tuesday updates on the desk (§6.3.5): schedules, runs started on the site's node, holds,
held-back versions and each site's settings.

Every plan site with a document root has a schedule: its run starts on the policy's weekday
inside the policy's window (xuala/updates/schedule.py). The engine step takes due schedules
with ``claim_due``, at most ``XUALA_UPDATES_PER_NODE`` runs going per node, and starts each
run: a Sentry maintenance window for the site, then an ``updates.run`` job on its node. A
week the client held is skipped; a run that could not start within the window is recorded
as missed. The node's result is recorded by xuala/updates/results.py.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from xuala.core.claims import claim_due
from xuala.customers.models import Site
from xuala.nodes.services import job_cancel, job_enqueue
from xuala.updates import schedule, selectors
from xuala.updates.models import (
    HeldVersion,
    OnFailure,
    RunState,
    UpdateEvent,
    UpdateHold,
    UpdateRun,
    UpdateSchedule,
    UpdateSettings,
)

KIND = "updates.run"
MAX_PAGES = 10


class UpdateRefused(ValueError):
    """A request the updates service cannot carry out, with the reason in plain words."""


def update_event(*, site: Site, key: str, at: datetime | None = None, **data) -> UpdateEvent:
    return UpdateEvent.objects.create(site=site, key=key, at=at or timezone.now(), data=data)


# ---------------------------------------------------------------- settings

def site_settings(site: Site) -> UpdateSettings:
    """The site's settings (the defaults, unsaved, when it has none)."""
    return UpdateSettings.objects.filter(site=site).first() or UpdateSettings(site=site)


def _pages(pages: list[str]) -> list[str]:
    cleaned = [p.strip() for p in pages if p.strip()]
    if len(cleaned) > MAX_PAGES:
        raise UpdateRefused(f"at most {MAX_PAGES} pages are checked")
    for page in cleaned:
        if not page.startswith("/") or len(page) > 200 or re.search(r"\s", page):
            raise UpdateRefused(f"a page is a path of the site such as /shop/: {page!r}")
    return cleaned


def _keywords(keywords: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for page, texts in keywords.items():
        paths = _pages([page])
        wanted = [t.strip() for t in texts if t.strip()]
        if not paths or not wanted or len(wanted) > 5 or any(len(t) > 200 for t in wanted):
            raise UpdateRefused("keywords: up to 5 texts of at most 200 characters per page")
        out[paths[0]] = wanted
    return out


def keywords_parse(lines: list[str]) -> dict[str, list[str]]:
    """"PATH TEXT" lines (or "PATH=TEXT") into {path: [text, ...]}."""
    out: dict[str, list[str]] = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        page, _, text = line.partition("=") if "=" in line.split(" ", 1)[0] else \
            line.partition(" ")
        if not text.strip():
            raise UpdateRefused(f"a keyword is a page and its text, such as '/ Tienda': {line!r}")
        out.setdefault(page.strip(), []).append(text.strip())
    return out


def settings_save(*, site: Site, on_failure: str, pages: list[str], visual_threshold: float,
                  source: str = "", keywords: dict[str, list[str]] | None = None, by=None,
                  now: datetime | None = None) -> UpdateSettings:
    """Change how ``site`` is updated; invalid values are refused and nothing changes.
    ``keywords`` None keeps the site's."""
    now = now or timezone.now()
    if keywords is None:
        keywords = site_settings(site).keywords
    if on_failure not in OnFailure.values:
        raise UpdateRefused(f"on failure: one of {', '.join(OnFailure.values)}")
    if not 0 < visual_threshold <= 1:
        raise UpdateRefused("the visual threshold is a share of pixels above 0 and at most 1")
    source = source.strip()
    if source and not (source.startswith("/") or re.match(r"^https?://\S+$", source)):
        raise UpdateRefused("the update source is an absolute directory or an http(s) URL")
    values = {"on_failure": on_failure, "pages": _pages(pages),
              "visual_threshold": visual_threshold, "source": source,
              "keywords": _keywords(keywords), "updated_at": now}
    saved, _ = UpdateSettings.objects.update_or_create(site=site, defaults=values)
    update_event(site=site, key="updates.settings_saved", at=now, by=getattr(by, "pk", None),
                 **{k: v for k, v in values.items() if k != "updated_at"})
    return saved


# ---------------------------------------------------------------- runs

def run_params(run: UpdateRun) -> dict:
    """The job's parameters (the node adds the site's document root when it claims it)."""
    chosen = site_settings(run.site)
    held = [{"type": h.type, "slug": h.slug, "version": h.version}
            for h in HeldVersion.objects.filter(site=run.site, released_at__isnull=True)]
    return {"run": run.pk, "url": run.site.url,
            "source": chosen.source or settings.XUALA_UPDATE_SOURCE or None,
            "on_failure": chosen.on_failure, "held": held, "pages": chosen.pages or None,
            "visual_threshold": chosen.visual_threshold,
            "keep_snapshots": settings.XUALA_UPDATES_KEEP_SNAPSHOTS,
            **({"keywords": chosen.keywords} if chosen.keywords else {})}


def _maintenance_open(site: Site, run: UpdateRun, now: datetime,
                      latest_start: datetime) -> list[int]:
    """A Sentry maintenance window over the run, so its planned restarts raise no incident:
    from now until the run's latest start plus its longest length; it ends with the run."""
    from xuala.sentry.models import MaintenanceReason, Monitor, MonitorKind
    from xuala.sentry.services import maintenance_open

    ends = max(now, latest_start) + timedelta(minutes=settings.XUALA_UPDATES_MAX_MINUTES)
    return [maintenance_open(reason=MaintenanceReason.UPDATE_RUN, starts_at=now, ends_at=ends,
                             monitor=monitor, note=f"update run {run.pk}").pk
            for monitor in Monitor.objects.filter(site=site, kind=MonitorKind.SITE)]


def maintenance_end(run: UpdateRun, at: datetime) -> None:
    from xuala.sentry.services import maintenance_close

    if run.maintenance:
        maintenance_close(windows=list(run.maintenance), at=at)


def run_start(*, site: Site, by=None, now: datetime | None = None, trigger: str = "agent",
              scheduled_for: datetime | None = None,
              latest_start: datetime | None = None) -> UpdateRun:
    """Start an update run of ``site`` on its node; the site's run already queued, if any,
    is returned instead of a second one. ``latest_start``: a scheduled run is withdrawn if
    no node has taken it by then (the end of its window)."""
    now = now or timezone.now()
    if site.server_id is None or not hasattr(site, "root"):
        raise UpdateRefused(f"{site.url} has no document root on a server: "
                            "xuala sites attach URL --root PATH first")
    queued = UpdateRun.objects.filter(site=site, state=RunState.QUEUED).first()
    if queued is not None:
        return queued
    try:
        with transaction.atomic():
            run = UpdateRun.objects.create(site=site, trigger=trigger, requested_by=by,
                                           created_at=now, scheduled_for=scheduled_for)
            run.maintenance = _maintenance_open(site, run, now, latest_start or now)
            run.job, _ = job_enqueue(kind=KIND, key=f"{KIND}:{run.pk}", site=site,
                                     params=run_params(run), at=now, max_attempts=3)
            run.save(update_fields=["maintenance", "job"])
            update_event(site=site, key="updates.run_queued", at=now, run=run.pk,
                         trigger=trigger, by=getattr(by, "pk", None))
    except IntegrityError:  # another process queued one a moment ago
        return UpdateRun.objects.get(site=site, state=RunState.QUEUED)
    return run


def cure_vulnerabilities(site: Site, findings: list, now: datetime) -> UpdateRun | None:
    """An audit found known-vulnerable components (§6.3.3: corrected at once): update the
    site now, with the same snapshots, checks and rollback as a Tuesday run. A site without
    a document root on a node is left to the agents (the urgent ticket says so)."""
    try:
        return run_start(site=site, now=now, trigger="wsa")
    except UpdateRefused:
        return None


def _skipped(site: Site, state: str, slot: datetime, now: datetime, key: str) -> UpdateRun:
    run = UpdateRun.objects.create(site=site, trigger="schedule", state=state, created_at=now,
                                   finished_at=now, scheduled_for=slot)
    update_event(site=site, key=key, at=now, run=run.pk, slot=slot.isoformat())
    return run


def _due(site: Site, slot: datetime, now: datetime, terms: schedule.Terms) -> UpdateRun:
    """The run a due schedule asks for: missed, held by the client, or started."""
    if now >= terms.window_end(slot):
        return _skipped(site, RunState.MISSED, slot, now, "updates.window_missed")
    if UpdateHold.objects.filter(site=site, week=terms.day_of(slot),
                                 released_at__isnull=True).exists():
        return _skipped(site, RunState.HELD, slot, now, "updates.held_skipped")
    return run_start(site=site, now=now, trigger="schedule", scheduled_for=slot,
                     latest_start=terms.window_end(slot))


# ---------------------------------------------------------------- the engine

def schedules_sync(*, sites: list[Site], places: dict[int, float], now: datetime,
                   terms: schedule.Terms) -> int:
    """Give each plan site without a schedule its next slot; drop those no longer covered."""
    have = set(UpdateSchedule.objects.values_list("site_id", flat=True))
    new = [UpdateSchedule(site=site, next_at=terms.slot_after(now, places[site.pk]))
           for site in sites if site.pk not in have]
    UpdateSchedule.objects.bulk_create(new)
    UpdateSchedule.objects.exclude(site_id__in=[s.pk for s in sites]).delete()
    return len(new)


def _refresh(now: datetime) -> tuple[schedule.Terms, dict[int, float], int]:
    terms = schedule.terms()
    sites = schedule.plan_sites(on=terms.day_of(now))
    places = schedule.fractions(sites)
    return terms, places, schedules_sync(sites=sites, places=places, now=now, terms=terms)


def schedules_refresh(*, now: datetime | None = None) -> int:
    """Bring the schedules in step with the plans now (the engine does it on every pass)."""
    return _refresh(now or timezone.now())[2]


def _busy_servers() -> Counter:
    return Counter(dict(UpdateRun.objects.filter(state=RunState.QUEUED).order_by()
                        .values("site__server_id").annotate(n=Count("id"))
                        .values_list("site__server_id", "n")))


def updates_step(*, now: datetime | None = None, batch: int = 50) -> int:
    """One pass of the updates engine: schedules kept in step with the plans, due runs
    started (at most the per-node cap going on each server), and scheduled runs that no
    node took before their window closed withdrawn."""
    now = now or timezone.now()
    terms, places, done = _refresh(now)
    cap = settings.XUALA_UPDATES_PER_NODE
    taken = _busy_servers()
    full = [server for server, n in taken.items() if n >= cap]

    def claim(row: UpdateSchedule) -> dict | None:
        if taken[row.site.server_id] >= cap:
            return None  # stays due: the node has enough going; a later step takes it
        taken[row.site.server_id] += 1
        row.slot = row.next_at
        following = terms.window_end(row.next_at) + timedelta(seconds=1)
        return {"next_at": terms.slot_after(following, places.get(row.site_id, 0.0))}

    due = (UpdateSchedule.objects.select_related("site", "site__customer", "site__root")
           .exclude(site__server_id__in=full))
    for row in claim_due(due, field="next_at", now=now, batch=batch, update=claim):
        try:
            _due(row.site, row.slot, now, terms)
        except UpdateRefused as exc:
            update_event(site=row.site, key="updates.run_refused", at=now, reason=str(exc))
        done += 1
    return done + runs_expire(now=now, terms=terms)


def runs_expire(*, now: datetime, terms: schedule.Terms) -> int:
    """A scheduled run no node claimed before its window closed is withdrawn (missed): it
    must not start later in the day, while the client's visitors are there."""
    count = 0
    for run in (UpdateRun.objects.filter(state=RunState.QUEUED, trigger="schedule",
                                         scheduled_for__isnull=False, job__state="queued",
                                         job__attempts=0)
                .select_related("job", "site")):
        end = terms.window_end(run.scheduled_for)
        if now < end or not job_cancel(job=run.job, reason="not started within the window",
                                       at=now):
            continue
        UpdateRun.objects.filter(pk=run.pk, state=RunState.QUEUED).update(
            state=RunState.MISSED, finished_at=now, error="no node took the run in its window")
        maintenance_end(run, now)
        update_event(site=run.site, key="updates.window_missed", at=now, run=run.pk)
        count += 1
    return count


# ---------------------------------------------------------------- holds

def hold_week(*, site: Site, by=None, now: datetime | None = None) -> UpdateHold:
    """The client skips the site's next weekly run (one week; the next runs as usual)."""
    now = now or timezone.now()
    week = selectors.next_run_day(site)
    if week is None:
        raise UpdateRefused("this site has no weekly update scheduled")
    if UpdateRun.objects.filter(site=site, state=RunState.QUEUED, trigger="schedule").exists():
        raise UpdateRefused("this week's update has already started")
    hold = UpdateHold.objects.filter(site=site, week=week, released_at__isnull=True).first()
    if hold is None:
        try:
            with transaction.atomic():
                hold = UpdateHold.objects.create(site=site, week=week, created_at=now,
                                                 created_by=by)
        except IntegrityError:
            return UpdateHold.objects.get(site=site, week=week, released_at__isnull=True)
        update_event(site=site, key="updates.hold_set", at=now, week=week.isoformat(),
                     by=getattr(by, "pk", None))
    return hold


def hold_release(*, site: Site, by=None, now: datetime | None = None) -> int:
    """Undo the hold of the next run: it runs after all. Returns the holds released."""
    now = now or timezone.now()
    week = selectors.next_run_day(site)
    released = UpdateHold.objects.filter(site=site, week=week, released_at__isnull=True
                                         ).update(released_at=now)
    if released:
        update_event(site=site, key="updates.hold_released", at=now, week=week.isoformat(),
                     by=getattr(by, "pk", None))
    return released


def held_version_release(*, held: HeldVersion, by=None,
                         now: datetime | None = None) -> HeldVersion:
    """An agent lets the next run try a held-back version again."""
    now = now or timezone.now()
    if held.released_at is None:
        HeldVersion.objects.filter(pk=held.pk).update(released_at=now, released_by=by)
        held.released_at, held.released_by = now, by
        update_event(site=held.site, key="updates.version_released", at=now, held=held.pk,
                     component=f"{held.type}:{held.slug}", version=held.version,
                     by=getattr(by, "pk", None))
    return held
