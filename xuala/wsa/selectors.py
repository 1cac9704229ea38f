"""Reads of the WSA's records: a site's audit state, audits visible to a customer, reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min, Q

from xuala.customers.models import Customer, Site
from xuala.nodes.models import JobState
from xuala.wsa.admins import ADMIN_RULES
from xuala.wsa.findings import SERIOUS
from xuala.wsa.models import Action, Audit, AuditSchedule, Finding, Suspension


def site_audit_state(site: Site) -> dict:
    """For the client area's list of plan services: running once the site has a schedule."""
    schedule = AuditSchedule.objects.filter(site=site).first()
    if schedule is None:
        return {"running": False}
    done = Audit.objects.filter(site=site, state=JobState.DONE)
    return {"running": True,
            "active_since": done.aggregate(first=Min("finished_at"))["first"],
            "last_run": done.values_list("finished_at", flat=True).first(),
            "next_run": schedule.next_at}


@dataclass(frozen=True)
class SiteRow:
    site: Site
    last: Audit | None
    next_at: object  # datetime | None
    suspended_until: object  # datetime | None


def sites_overview() -> list[SiteRow]:
    """For the console: every site with an audit schedule or an audit, its latest audit
    (with how many serious findings it has), its next one and any active suspension."""
    schedules = dict(AuditSchedule.objects.values_list("site_id", "next_at"))
    audited = set(Audit.objects.values_list("site_id", flat=True).distinct())
    ids = set(schedules) | audited
    latest: dict[int, Audit] = {}
    for audit in (Audit.objects.filter(site_id__in=ids)
                  .annotate(serious=Count("findings", filter=Q(
                      findings__severity__in=SERIOUS)))
                  .order_by("site_id", "-created_at", "-id")):
        latest.setdefault(audit.site_id, audit)
    suspended = dict(Suspension.objects.filter(site_id__in=ids, is_active=True)
                     .values_list("site_id", "ends_at"))
    sites = Site.objects.filter(pk__in=ids).select_related("customer").order_by("url")
    return [SiteRow(site=site, last=latest.get(site.pk), next_at=schedules.get(site.pk),
                    suspended_until=suspended.get(site.pk)) for site in sites]


def audits_of_customer(*, customer: Customer):
    return (Audit.objects.filter(site__customer=customer)
            .exclude(state__in=[JobState.QUEUED, JobState.RUNNING])
            .select_related("site"))


def audit_for_customer(*, customer: Customer, audit_id: int) -> Audit | None:
    return audits_of_customer(customer=customer).filter(pk=audit_id).first()


def admin_question_for_customer(*, customer: Customer, finding_id: int) -> Finding | None:
    """A finding about an administrator of one of the customer's sites that still waits for
    an answer ("is this administrator yours?"); anyone else's, or a settled one, is None."""
    return (Finding.objects.select_related("audit__site")
            .filter(pk=finding_id, audit__in=audits_of_customer(customer=customer),
                    rule__in=ADMIN_RULES, action=Action.PROPOSED).first())


@dataclass(frozen=True)
class Report:
    audit: Audit
    findings: list[Finding]
    done: list[Finding]
    waiting: list[Finding]  # proposed to a technician, or failed
    serious: int
    suspension: Suspension | None


def audit_report(*, audit: Audit) -> Report:
    findings = list(audit.findings.all())
    done = [f for f in findings if f.action in (Action.QUARANTINED, Action.REPLACED,
                                                Action.STRIPPED, Action.DEMOTED)]
    waiting = [f for f in findings if f.action in (Action.PROPOSED, Action.PENDING,
                                                   Action.FAILED)]
    suspension = (Suspension.objects.filter(site=audit.site, starts_at__gte=audit.created_at)
                  .first())
    return Report(audit=audit, findings=findings, done=done, waiting=waiting,
                  serious=sum(1 for f in findings if f.severity in SERIOUS),
                  suspension=suspension)
