"""Reads of the WSA's records: a site's audit state, audits visible to a customer, reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Min

from xuala.customers.models import Customer, Site
from xuala.wsa.findings import SERIOUS
from xuala.wsa.models import Action, Audit, AuditSchedule, AuditState, Finding, Suspension


def site_audit_state(site: Site) -> dict:
    """For the client area's list of plan services: running once the site has a schedule."""
    schedule = AuditSchedule.objects.filter(site=site).first()
    if schedule is None:
        return {"running": False}
    done = Audit.objects.filter(site=site, state=AuditState.DONE)
    return {"running": True,
            "active_since": done.aggregate(first=Min("finished_at"))["first"],
            "last_run": done.values_list("finished_at", flat=True).first(),
            "next_run": schedule.next_at}


def audits_of_customer(*, customer: Customer):
    return (Audit.objects.filter(site__customer=customer).exclude(state=AuditState.QUEUED)
            .select_related("site"))


def audit_for_customer(*, customer: Customer, audit_id: int) -> Audit | None:
    return audits_of_customer(customer=customer).filter(pk=audit_id).first()


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
