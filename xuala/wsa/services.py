"""The WSA on the desk (§6.3.3): audits scheduled and started, results acted on, suspensions.

An audit is a `wsa.audit` job run by the site's node. Its result becomes findings, and each
finding gets its remedy: a modified core file is replaced from the pristine release, a
critical malware file is quarantined, an injected post is stripped (the diff kept), anything
else waits for a technician's approval in the console. A finding of severity high or
critical opens (or joins) one urgent ticket for the site with the evidence (§6.3.6).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xuala.core.claims import claim_due
from xuala.customers.models import Contract, Site
from xuala.nodes.models import Job, JobState
from xuala.nodes.services import job_enqueue, result_handler
from xuala.wsa.admins import (
    ADMIN_RULES,
    admin_forget,
    admin_keep,
    admin_login,
    admins_learn,
    known_logins,
)
from xuala.wsa.findings import SERIOUS
from xuala.wsa.models import (
    Action,
    Audit,
    AuditSchedule,
    Finding,
    Suspension,
    WsaEvent,
)


class SuspensionRefused(ValueError):
    """§6.3.3: a suspension lasts at most the policy's max_suspension (15 days)."""

    clause = "6.3.3"


def _policy_service():
    from xuala.policy.selectors import policy_active

    return policy_active().policy.services["wsa"]


def audit_interval() -> timedelta:
    return _policy_service().interval or timedelta(days=15)


def max_suspension() -> timedelta:
    return _policy_service().max_suspension or timedelta(days=15)


def wsa_event(*, site: Site, key: str, at: datetime | None = None, **data) -> WsaEvent:
    return WsaEvent.objects.create(site=site, key=key, at=at or timezone.now(), data=data)


def plan_sites(*, on=None) -> list[Site]:
    """Sites with a document root covered by an active plan that includes the WSA."""
    from xuala.policy.selectors import policy_active

    on = on or timezone.localdate()
    plans = {p.key for p in policy_active().policy.plans if "wsa" in p.services}
    out = []
    contracts = (Contract.objects.filter(Contract.active_q(on), plan_key__in=plans)
                 .prefetch_related("sites"))
    for contract in contracts:
        named = list(contract.sites.all())
        sites = named or Site.objects.filter(customer_id=contract.customer_id)
        out += [s for s in sites if s.server_id is not None]
    rooted = set(Site.objects.filter(pk__in=[s.pk for s in out], root__isnull=False)
                 .values_list("pk", flat=True))
    return sorted({s.pk: s for s in out if s.pk in rooted}.values(), key=lambda s: s.pk)


def _spread(site: Site, position: int, count: int, interval: timedelta) -> timedelta:
    """Where in the fortnight a site's audits fall: the sites of one server evenly apart,
    and each server shifted by its own fraction, so the nodes are never all busy at once."""
    shift = int(hashlib.sha256(str(site.server_id).encode()).hexdigest()[:8], 16) / 2**32
    return interval * (((position + shift) / max(count, 1)) % 1)


def schedules_sync(*, now: datetime | None = None) -> int:
    """Give each plan site without one a schedule; drop those of sites no longer covered."""
    now = now or timezone.now()
    sites = plan_sites(on=timezone.localdate(now))
    interval = audit_interval()
    by_server: dict[int, list[Site]] = {}
    for site in sites:
        by_server.setdefault(site.server_id, []).append(site)
    made = 0
    have = set(AuditSchedule.objects.values_list("site_id", flat=True))
    for group in by_server.values():
        for position, site in enumerate(group):
            if site.pk not in have:
                AuditSchedule.objects.create(
                    site=site, next_at=now + _spread(site, position, len(group), interval))
                made += 1
    AuditSchedule.objects.exclude(site_id__in=[s.pk for s in sites]).delete()
    return made


def audit_start(*, site: Site, by=None, now: datetime | None = None, key: str | None = None,
                database: bool = True) -> Audit:
    """Queue an audit of ``site`` on its node (``key`` makes a scheduled one idempotent)."""
    now = now or timezone.now()
    key = key or f"wsa.audit:{site.pk}:agent:{now.isoformat()}"
    known = known_logins(site) if database else None
    job, created = job_enqueue(kind="wsa.audit", key=key, site=site, at=now,
                               params={"database": database,
                                       **({"admins": known} if known is not None else {})})
    if not created and hasattr(job, "audit"):
        return job.audit
    audit = Audit.objects.create(site=site, job=job, created_at=now, requested_by=by,
                                 trigger="agent" if by is not None else "schedule")
    wsa_event(site=site, key="wsa.audit_queued", at=now, audit=audit.pk)
    return audit


def wsa_step(*, now: datetime | None = None, batch: int = 50) -> int:
    """One pass of the WSA engine: schedules kept in step with the plans, due audits
    queued (each next one an interval later), suspensions whose end has come lifted."""
    now = now or timezone.now()
    done = schedules_sync(now=now)
    interval = audit_interval()
    for row in claim_due(AuditSchedule.objects.select_related("site"), field="next_at",
                         now=now, batch=batch,
                         update=lambda r: {"next_at": r.next_at + interval}):
        slot = (row.next_at - interval).strftime("%Y%m%dT%H%M")
        audit_start(site=row.site, now=now, key=f"wsa.audit:{row.site_id}:{slot}")
        done += 1
    for suspension in claim_due(Suspension.objects.filter(is_active=True), field="next_at",
                                now=now, batch=batch, update={"next_at": None}):
        site_resume(suspension=suspension, now=now)
        done += 1
    return done


# ---------------------------------------------------------------- results

# What cures a vulnerable component at once (§6.3.3: "si detectamos vulnerabilidades las
# corregiremos de inmediato"): the Tuesday updates register an update run started now, so
# the WSA does not import them. Each cure is called with (site, findings, now).
VULNERABILITY_CURES: list = []


def _cure_vulnerabilities(site: Site, findings: list[Finding], now: datetime) -> None:
    vulnerable = [f for f in findings if f.kind == "vulnerability"]
    if not vulnerable:
        return
    for cure in VULNERABILITY_CURES:
        cure(site, vulnerable, now)
    wsa_event(site=site, key="wsa.vulnerability_cure", at=now, findings=len(vulnerable),
              cures=len(VULNERABILITY_CURES))


def _remedy(item: dict) -> tuple[str, str]:
    """(action, job kind) for a finding: cleaned at once, proposed, or only noted."""
    path, rule, severity = item["path"], item["rule"], item["severity"]
    if item["kind"] == "integrity" and rule == "core-file-modified":
        return Action.PENDING, "wsa.core_replace"
    if path.startswith("db:") and "posts/" in path and severity in SERIOUS:
        return Action.PENDING, "wsa.db_strip"
    if not path.startswith("db:") and item["kind"] == "malware" and severity == "critical":
        return Action.PENDING, "wsa.quarantine"
    if rule in ADMIN_RULES:
        return Action.PROPOSED, "wsa.admin_demote"
    if item["kind"] == "vulnerability":
        # The file is the vulnerable software's own, not malware: the cure is its update,
        # not a quarantine that would take the plugin or theme off the site.
        return Action.NONE, ""
    if not path.startswith("db:") and severity in SERIOUS:
        return Action.PROPOSED, "wsa.quarantine"
    return Action.NONE, ""


def _remedy_params(finding: Finding) -> dict:
    if finding.remedy == "wsa.db_strip":
        return {"post_id": int(finding.path.rsplit("/", 1)[1]), "evidence": finding.evidence}
    if finding.remedy == "wsa.admin_demote":
        return {"login": admin_login(finding.path)}
    return {"path": finding.path, "reason": finding.rule}


def finding_clean(*, finding: Finding, by=None, now: datetime | None = None) -> Job:
    """Queue the finding's remedy on the site's node (an agent's approval, or at once)."""
    now = now or timezone.now()
    if not finding.remedy:
        raise ValueError("this finding has no remedy to run")
    # Findings of one audit on the same file or row share one job (a shell that matches
    # three rules is quarantined once).
    target = hashlib.sha256(finding.path.encode()).hexdigest()[:32]
    # A second try (after a failure, or a core file whose pristine copy was missing) is a
    # new job: its key names the job it follows.
    again = f":after{finding.action_job_id}" if finding.action_job_id else ""
    job, _ = job_enqueue(kind=finding.remedy,
                         key=f"{finding.remedy}:{finding.audit_id}:{target}{again}",
                         site=finding.audit.site, params=_remedy_params(finding), at=now)
    Finding.objects.filter(pk=finding.pk).update(action=Action.PENDING, action_job=job)
    finding.action, finding.action_job = Action.PENDING, job
    wsa_event(site=finding.audit.site, key="wsa.clean_queued", at=now, finding=finding.pk,
              remedy=finding.remedy, by=getattr(by, "pk", None))
    return job


@result_handler("wsa.audit")
def audit_record(job: Job) -> None:
    audit = Audit.objects.select_related("site").get(job=job)
    now = job.finished_at or timezone.now()
    if job.state != JobState.DONE:
        Audit.objects.filter(pk=audit.pk).update(state=JobState.FAILED, finished_at=now,
                                                 error=job.error)
        wsa_event(site=audit.site, key="wsa.audit_failed", at=now, audit=audit.pk)
        return
    body = job.result or {}
    audit.state, audit.finished_at = JobState.DONE, now
    audit.files, audit.bytes = body.get("files", 0), body.get("bytes", 0)
    audit.seconds, audit.database = body.get("seconds", 0), bool(body.get("database"))
    audit.skipped = body.get("skipped", [])
    audit.save()
    findings = []
    for item in body.get("findings", []):
        action, remedy = _remedy(item)
        findings.append(Finding(
            audit=audit, path=item["path"][:1000], kind=item["kind"], rule=item["rule"][:120],
            severity=item["severity"], evidence=item.get("evidence", ""),
            offset=item.get("offset", 0), action=Action.NONE if action == Action.PENDING
            else action, remedy=remedy))
    # A core file is put back from the release, never quarantined: the site needs it.
    core = {f.path for f in findings if f.remedy == "wsa.core_replace"}
    for finding in findings:
        if finding.path in core and finding.remedy == "wsa.quarantine":
            finding.remedy, finding.action = "wsa.core_replace", Action.NONE
    Finding.objects.bulk_create(findings)
    wsa_event(site=audit.site, key="wsa.audit_done", at=now, audit=audit.pk,
              findings=len(findings))
    if "admins" in body and admins_learn(site=audit.site, logins=body["admins"], at=now):
        wsa_event(site=audit.site, key="wsa.admins_learned", at=now, audit=audit.pk,
                  logins=sorted(body["admins"]))
    for finding in audit.findings.filter(remedy__gt="").exclude(action=Action.PROPOSED):
        finding_clean(finding=finding, now=now)
    _cure_vulnerabilities(audit.site, findings, now)
    serious = [f for f in audit.findings.all() if f.severity in SERIOUS]
    if serious:
        ticket = urgent_ticket(site=audit.site, audit=audit, findings=serious, at=now)
        if ticket is not None:
            Audit.objects.filter(pk=audit.pk).update(ticket=ticket)


def _action_done(job: Job, action: str, **values) -> None:
    findings = list(Finding.objects.filter(action_job=job))
    if not findings:
        return
    if job.state != JobState.DONE:
        values, action = {}, Action.FAILED
    Finding.objects.filter(action_job=job).update(action=action, **values)
    if action in (Action.QUARANTINED, Action.REPLACED):
        # The file is gone from the site: its other findings of the same audits (a proposed
        # quarantine among them) are settled by the same move.
        (Finding.objects.filter(audit_id__in={f.audit_id for f in findings},
                                path__in={f.path for f in findings})
         .exclude(action_job=job).update(action=action, action_job=job, **values))
    wsa_event(site=job.site, key=f"wsa.{action}", findings=[f.pk for f in findings],
              job=job.pk)


@result_handler("wsa.quarantine")
def _quarantined(job: Job) -> None:
    result = job.result or {}
    _action_done(job, Action.QUARANTINED, quarantine_id=result.get("id", ""),
                 detail=result)


@result_handler("wsa.core_replace")
def _replaced(job: Job) -> None:
    result = job.result or {}
    if job.state == JobState.DONE and result.get("pristine_missing"):
        _pristine_missing(job, result)
        return
    _action_done(job, Action.REPLACED,
                 quarantine_id=(result.get("quarantine") or {}).get("id", ""), detail=result)


def _pristine_missing(job: Job, result: dict) -> None:
    """The node has no checked copy of the core file: nothing was touched, and the finding
    goes back to a technician (Approve retries once the copy is there), with a note on the
    site's urgent ticket saying what to do."""
    findings = list(Finding.objects.filter(action_job=job).select_related("audit"))
    Finding.objects.filter(action_job=job).update(action=Action.PROPOSED, detail=result)
    wsa_event(site=job.site, key="wsa.pristine_missing", findings=[f.pk for f in findings],
              job=job.pk, version=result.get("version"))
    tickets = {f.audit.ticket_id for f in findings if f.audit.ticket_id}
    if tickets:
        from xuala.desk.models import Ticket
        from xuala.desk.services import ticket_note

        version = result.get("version")
        text = (f"WSA: {result.get('path')} differs from WordPress {version} and was NOT "
                f"replaced: the node has no checked copy of it ({result.get('store')}; "
                f"{result.get('why') or 'no reason given'}). On the node run `xuala wsa "
                f"pristine import {version}` (or with --from a release archive), then "
                "approve the replacement on the audit's console page.")
        for ticket in Ticket.objects.filter(pk__in=tickets):
            ticket_note(ticket=ticket, author=None, body_text=text)


@result_handler("wsa.db_strip")
def _stripped(job: Job) -> None:
    result = job.result or {}
    _action_done(job, Action.STRIPPED, diff=result.get("diff", ""), detail=result)


@result_handler("wsa.admin_demote")
def _demoted(job: Job) -> None:
    _action_done(job, Action.DEMOTED, detail=job.result or {})
    if job.state == JobState.DONE and job.params.get("login"):
        admin_forget(site=job.site, login=job.params["login"],
                     at=job.finished_at or timezone.now())


def finding_keep(*, finding: Finding, by=None, now: datetime | None = None) -> Finding:
    """A technician judges a proposed finding sound and declines its remedy: nothing is done
    on the site. An administrator kept is known from then on (later audits do not name it)."""
    now = now or timezone.now()
    if finding.action != Action.PROPOSED:
        raise ValueError("only a finding waiting for approval can be kept")
    Finding.objects.filter(pk=finding.pk).update(action=Action.KEPT)
    finding.action = Action.KEPT
    site = finding.audit.site
    if finding.rule in ADMIN_RULES:
        admin_keep(site=site, login=admin_login(finding.path), at=now)
    wsa_event(site=site, key="wsa.finding_kept", at=now, finding=finding.pk,
              by=getattr(by, "pk", None))
    return finding


def admin_answer(*, finding: Finding, by, mine: bool, now: datetime | None = None) -> None:
    """The client says whether the administrator a finding names is one of its own: yes,
    and it is kept (known from then on); no, and its role is taken away at once. The answer
    goes on the audit's urgent ticket, if it has one, for the technicians."""
    from xuala.desk.services import ticket_note

    now = now or timezone.now()
    login = admin_login(finding.path)
    if mine:
        finding_keep(finding=finding, by=by, now=now)
    else:
        finding_clean(finding=finding, by=by, now=now)
    ticket = finding.audit.ticket
    if ticket is not None:
        said = ("is theirs: kept, and known from now on" if mine
                else "is not theirs: its administrator role is being removed")
        ticket_note(ticket=ticket, author=by,
                    body_text=f"The client says the administrator {login} {said}.")


def quarantine_restore(*, finding: Finding, by=None, now: datetime | None = None) -> Job:
    """Put a quarantined file back on its site, byte for byte (`wsa.restore` on the node)."""
    if not finding.quarantine_id:
        raise ValueError("nothing of this finding is in quarantine")
    detail = finding.detail.get("quarantine") or finding.detail
    job, _ = job_enqueue(kind="wsa.restore", key=f"wsa.restore:{finding.quarantine_id}",
                         site=finding.audit.site, at=now,
                         params={"id": finding.quarantine_id, "path": detail.get("path"),
                                 "sha256": detail.get("sha256")})
    Finding.objects.filter(audit=finding.audit_id, quarantine_id=finding.quarantine_id
                           ).update(action_job=job)
    return job


@result_handler("wsa.restore")
def _restored(job: Job) -> None:
    _action_done(job, Action.RESTORED)


# ---------------------------------------------------------------- the client, told

def _language(site: Site) -> tuple[object, str]:
    contact = site.customer.contacts.select_related("user").order_by("-is_primary").first()
    user = contact.user if contact else None
    return user, getattr(user, "language", None) or site.customer.language


def urgent_ticket(*, site: Site, audit: Audit | None, findings: list[Finding],
                  at: datetime, subject: str | None = None, body: str | None = None):
    """Open, or join, the site's one open urgent ticket for the WSA (§6.3.6, the desk's
    urgent review), with the evidence as a note."""
    from xuala.desk.services import UrgentWords, urgent_review

    evidence = "\n".join(f"[{f.severity}] {f.kind} {f.path} ({f.rule}): {f.evidence}"
                         for f in findings) or "-"

    def words(language: str) -> UrgentWords:
        with translation.override(language):
            text = body or _(
                "Our security audit of %(site)s has found %(count)s serious problem(s) "
                "(malware, modified files or injected content). Our technicians are cleaning "
                "them as an emergency; the audit report in your client area lists what was "
                "found and what has been done.") % {"site": site.url, "count": len(findings)}
            return UrgentWords(subject=subject or _("Security audit of %(site)s: problems "
                                                    "found") % {"site": site.url},
                               opened=text, joined=text)

    outcome = urgent_review(site=site, cause="wsa", words=words,
                            evidence="WSA evidence:\n" + evidence, at=at,
                            joined_key="wsa.findings_joined",
                            audit=getattr(audit, "pk", None))
    return outcome.ticket if outcome is not None else None


# ---------------------------------------------------------------- suspension (§6.3.3)

def _host(site: Site) -> str:
    from urllib.parse import urlsplit

    return urlsplit(site.url).hostname or f"site-{site.pk}"


def site_suspend(*, site: Site, until: datetime, reason: str, by=None,
                 now: datetime | None = None) -> Suspension:
    """Switch the site to a maintenance page until ``until`` (never beyond max_suspension,
    15 days), open a Sentry maintenance window for the same period, and tell the client."""
    now = now or timezone.now()
    if until <= now:
        raise SuspensionRefused(_("A suspension must end in the future."))
    if until - now > max_suspension():
        raise SuspensionRefused(_("§6.3.3: a suspension lasts at most %(days)s days.") % {
            "days": max_suspension().days})
    if not reason.strip():
        raise SuspensionRefused(_("A suspension needs its reason."))
    _user, language = _language(site)
    with transaction.atomic():
        suspension = Suspension.objects.create(site=site, starts_at=now, ends_at=until,
                                               reason=reason.strip(), next_at=until,
                                               created_by=by)
        with translation.override(language):
            title = _("Site under maintenance")
            message = _("This site is temporarily closed for security maintenance until "
                        "%(until)s.") % {"until": f"{until:%Y-%m-%d %H:%M} UTC"}
        job_enqueue(kind="site.suspend", key=f"site.suspend:{suspension.pk}", site=site,
                    at=now, params={"until": until.isoformat(), "host": _host(site),
                                    "title": title, "message": message})
        _maintenance_window(site=site, starts_at=now, ends_at=until)
        wsa_event(site=site, key="wsa.suspended", at=now, suspension=suspension.pk,
                  until=until.isoformat())
        from xuala.policy.selectors import policy_active

        tz = policy_active().calendar.tz
        with translation.override(language):
            body = _("To clean %(site)s we have had to suspend it (§6.3.3): visitors see a "
                     "maintenance page until %(until)s at the latest. Reason: %(reason)s") % {
                "site": site.url, "until": until.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                "reason": reason.strip()}
            subject = _("%(site)s suspended for a security cleaning") % {"site": site.url}
        urgent_ticket(site=site, audit=None, findings=[], at=now, subject=subject, body=body)
    return suspension


def suspension_end(day: date) -> datetime:
    """A suspension given as a day ends at 23:59 of that day in the policy's time zone."""
    from xuala.policy.selectors import policy_active

    return datetime.combine(day, time(23, 59), tzinfo=policy_active().calendar.tz)


def _maintenance_window(*, site: Site, starts_at: datetime, ends_at: datetime) -> None:
    from xuala.sentry.models import MaintenanceReason, Monitor, MonitorKind
    from xuala.sentry.services import maintenance_open

    for monitor in Monitor.objects.filter(site=site, kind=MonitorKind.SITE):
        maintenance_open(reason=MaintenanceReason.SECURITY, starts_at=starts_at,
                         ends_at=ends_at, monitor=monitor, note="WSA suspension")


def site_resume(*, suspension: Suspension, now: datetime | None = None) -> Suspension:
    """Lift a suspension (its end reached, or an agent's decision)."""
    now = now or timezone.now()
    if not suspension.is_active:
        return suspension
    Suspension.objects.filter(pk=suspension.pk).update(is_active=False, lifted_at=now,
                                                       next_at=None)
    suspension.is_active, suspension.lifted_at = False, now
    job_enqueue(kind="site.resume", key=f"site.resume:{suspension.pk}", site=suspension.site,
                at=now, params={"host": _host(suspension.site)})
    from xuala.sentry.models import MaintenanceWindow

    MaintenanceWindow.objects.filter(monitor__site=suspension.site, reason="security",
                                     ends_at__gt=now).update(ends_at=now)
    wsa_event(site=suspension.site, key="wsa.resumed", at=now, suspension=suspension.pk)
    return suspension
