"""The node's result of an ``updates.run`` job, recorded on the desk.

The result (docs/updates.md, "The job") becomes the run's components and checks; its images
(base64 PNG) become files in the updates store and leave the job's stored result. Versions
that were rolled back are held back from the next runs; a version updated past a held one
releases it. The Sentry maintenance window ends. A run that is not ok (a component rolled
back, a check failing after the run, or no run at all) opens or joins the site's urgent
ticket for updates (§6.3.6) with the evidence and the diff images; the client is mailed
the report in her language.

The handler never raises on a bad result: the run is recorded as failed with the reason,
so a node is not made to run the job again for a desk that cannot read it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from xuala.desk.services import Upload, urgent_language, urgent_review
from xuala.nodes.models import Job, JobState
from xuala.nodes.services import result_handler
from xuala.notify.services import email_enqueue
from xuala.updates import store, texts
from xuala.updates.models import (
    CheckPhase,
    ComponentStatus,
    HeldVersion,
    RunState,
    UpdateCheck,
    UpdateComponent,
    UpdateRun,
)
from xuala.updates.services import maintenance_end, update_event

log = logging.getLogger(__name__)
TYPES = ("plugin", "theme", "core")
MAX_ATTACHED = 6


class ResultInvalid(ValueError):
    pass


def _text(value, limit: int, field: str, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ResultInvalid(f"{field}: expected text, got {type(value).__name__}")
    text = str(value)
    if required and not text:
        raise ResultInvalid(f"{field}: missing")
    return text[:limit]


def _list(value, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ResultInvalid(f"{field}: expected a list")
    return value


def _dict(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise ResultInvalid(f"{field}: expected an object")
    return value


class _Recorder:
    """Turns one result into rows, keeping the images as files."""

    def __init__(self, run: UpdateRun):
        self.run = run
        self.notes: list[str] = []
        self.failing_images: list[tuple[str, str]] = []  # (file name, store path)

    def image(self, encoded, name: str, *, evidence: bool) -> str:
        if not encoded:
            return ""
        try:
            data = store.png_decode(encoded) if isinstance(encoded, str) else None
            if data is None:
                raise store.ImageRefused("not text")
            path = store.image_save(site_id=self.run.site_id, run_id=self.run.pk, name=name,
                                    data=data)
        except (store.ImageRefused, OSError) as exc:
            self.notes.append(f"image {name} not kept: {exc}")
            return ""
        if evidence:
            self.failing_images.append((f"{name}.png", path))
        return path

    def check(self, item, *, phase: str, index: int, component: UpdateComponent | None,
              prefix: str) -> UpdateCheck:
        item = _dict(item, f"{prefix} check")
        page = _text(item.get("page"), 500, f"{prefix} page", required=True)
        ok = bool(item.get("ok"))
        status = item.get("status")
        diff = item.get("diff")
        check = UpdateCheck(
            run=self.run, component=component, phase=phase, page=page, ok=ok,
            status=status if isinstance(status, int) and 0 <= status < 1000 else None,
            problems=[str(p)[:500] for p in _list(item.get("problems"), "problems")][:20],
            diff=float(diff) if isinstance(diff, int | float) and not isinstance(diff, bool)
            else None)
        key = "diff_png" if phase == CheckPhase.COMPONENT else "png"
        name = f"{prefix}-{index}-{store.slug(page)}"
        check.image = self.image(item.get(key), name, evidence=not ok)
        return check

    def record(self, result) -> None:
        result = _dict(result, "result")
        run = self.run
        core = result.get("core") or {}
        core = _dict(core, "core")
        run.core_from = _text(core.get("from"), 20, "core.from")
        run.core_to = _text(core.get("to"), 20, "core.to")
        snapshot = result.get("snapshot") or {}
        run.snapshot = _dict(snapshot, "snapshot")
        run.log = [str(line)[:500] for line in _list(result.get("log"), "log")][-500:]
        checks: list[UpdateCheck] = []
        components = []
        for position, raw in enumerate(_list(result.get("components"), "components")):
            item = _dict(raw, "component")
            kind, status = item.get("type"), item.get("status")
            if kind not in TYPES or status not in ComponentStatus.values:
                raise ResultInvalid(f"component {position}: type {kind!r}, status {status!r}")
            component = UpdateComponent.objects.create(
                run=run, position=position, type=kind,
                slug=_text(item.get("slug"), 200, "slug", required=True),
                name=_text(item.get("name"), 200, "name"),
                from_version=_text(item.get("from"), 50, "from"),
                to_version=_text(item.get("to"), 50, "to"), active=bool(item.get("active")),
                status=status, reason=_text(item.get("reason"), 2000, "reason"))
            components.append(component)
            for index, raw_check in enumerate(_list(item.get("checks"), "checks")):
                checks.append(self.check(raw_check, phase=CheckPhase.COMPONENT, index=index,
                                         component=component, prefix=f"c{position}-diff"))
        for phase, key in ((CheckPhase.BEFORE, "before"), (CheckPhase.AFTER, "after")):
            for index, raw_check in enumerate(_list(result.get(key), key)):
                checks.append(self.check(raw_check, phase=phase, index=index, component=None,
                                         prefix=key))
        UpdateCheck.objects.bulk_create(checks)
        rolled = any(c.status == ComponentStatus.ROLLED_BACK for c in components)
        after_failing = any(not c.ok for c in checks if c.phase == CheckPhase.AFTER)
        run.ok = bool(result.get("ok")) and not rolled and not after_failing
        run.log += self.notes


def _stripped(result) -> dict | None:
    """The job's result without its images (they are files now), for the Job row."""
    if not isinstance(result, dict):
        return result

    def clean(item):
        if isinstance(item, dict):
            return {k: (None if k in ("png", "diff_png") and v else clean(v))
                    for k, v in item.items()}
        if isinstance(item, list):
            return [clean(v) for v in item]
        return item

    return clean(result)


def _held_versions(run: UpdateRun, at: datetime) -> None:
    for component in run.components.all():
        same = HeldVersion.objects.filter(site=run.site, type=component.type,
                                          slug=component.slug, released_at__isnull=True)
        if component.status == ComponentStatus.ROLLED_BACK and component.to_version:
            if not same.filter(version=component.to_version).exists():
                HeldVersion.objects.create(site=run.site, type=component.type,
                                           slug=component.slug, version=component.to_version,
                                           reason=component.reason, run=run, created_at=at)
                update_event(site=run.site, key="updates.version_held", at=at, run=run.pk,
                             component=f"{component.type}:{component.slug}",
                             version=component.to_version)
        elif component.status == ComponentStatus.UPDATED and same.update(released_at=at):
            # A newer version went in: the hold is over.
            update_event(site=run.site, key="updates.version_superseded", at=at, run=run.pk,
                         component=f"{component.type}:{component.slug}",
                         version=component.to_version)


def _urgent(run: UpdateRun, images: list[tuple[str, str]], result, at: datetime) -> None:
    """The urgent ticket, with the evidence: the report as text, the node's whole result
    (JSON, without its pictures) and the pictures of what failed."""
    from xuala.updates.selectors import run_report

    whole = json.dumps({"report": run_report(run), "result": result}, indent=1,
                       ensure_ascii=False, default=str)
    uploads = [Upload(f"update-run-{run.pk}.json", whole.encode(), "application/json")]
    for filename, path in images[:MAX_ATTACHED]:
        data = store.image_bytes(path)
        if data is not None:
            uploads.append(Upload(filename, data, "image/png"))
    outcome = urgent_review(site=run.site, cause="updates", words=texts.failed_words(run),
                            evidence=texts.evidence(run), attachments=uploads, at=at,
                            joined_key="updates.report_joined", run=run.pk)
    if outcome is not None:
        run.ticket = outcome.ticket
        UpdateRun.objects.filter(pk=run.pk).update(ticket=outcome.ticket)


def _mail(run: UpdateRun) -> None:
    user, language = urgent_language(run.site)
    if user is None or not user.email:
        return
    subject, body = texts.report_mail(run, language)
    email_enqueue(to=user.email, subject=subject, body_text=body, purpose="updates.report",
                  ticket=run.ticket, auto_submitted=True)


def _failed(run: UpdateRun, error: str, at: datetime) -> None:
    UpdateRun.objects.filter(pk=run.pk).update(state=RunState.FAILED, finished_at=at,
                                               error=error[:5000], ok=False)
    run.state, run.finished_at, run.error, run.ok = RunState.FAILED, at, error[:5000], False
    update_event(site=run.site, key="updates.run_failed", at=at, run=run.pk,
                 error=error[:500])


@result_handler("updates.run")
def run_record(job: Job) -> None:
    run = (UpdateRun.objects.select_related("site", "site__customer")
           .filter(job=job, state=RunState.QUEUED).first())
    if run is None:  # not ours, or already recorded
        return
    at = job.finished_at or timezone.now()
    maintenance_end(run, at)
    recorder = _Recorder(run)
    if job.state != JobState.DONE:
        _failed(run, job.error or "the node could not run the update", at)
    else:
        try:
            with transaction.atomic():
                recorder.record(job.result)
                run.state, run.finished_at = RunState.DONE, at
                run.save()
        except ResultInvalid as exc:
            log.warning("update run %s: invalid result: %s", run.pk, exc)
            store.run_images_drop(site_id=run.site_id, run_id=run.pk)
            recorder.failing_images = []
            _failed(run, f"the node's result is not valid: {exc}", at)
        Job.objects.filter(pk=job.pk).update(result=_stripped(job.result))
        job.result = _stripped(job.result)
    if run.state == RunState.DONE:
        _held_versions(run, at)
        update_event(site=run.site, key="updates.run_done", at=at, run=run.pk, ok=run.ok,
                     **{status: run.components.filter(status=status).count()
                        for status in ComponentStatus.values})
    if not run.ok:
        _urgent(run, recorder.failing_images, job.result, at)
    if run.state == RunState.DONE:
        _mail(run)
