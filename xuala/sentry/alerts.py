"""Telling people about incidents: mail to on-call, a signed webhook, the urgent ticket."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request

from django.conf import settings
from django.db import transaction
from django_tasks import task

from xuala.notify.services import email_enqueue
from xuala.sentry.models import Incident, MonitorKind

log = logging.getLogger(__name__)


def report_text(incident: Incident) -> str:
    """The detailed failure report as plain text (mail body and the ticket's first message)."""
    r = incident.report
    lines = [
        f"Online Sentry: {r['monitor']['name']} ({r['monitor']['url']})",
        f"What failed: {r.get('what')} — {r.get('error') or ''}".rstrip(" —"),
        f"Since: {r['since']} (confirmed {incident.confirmed_at.isoformat()})",
        "",
        "Failing checks:",
    ]
    for check in r.get("failing_checks", []):
        timings = check.get("timings") or {}
        phases = ", ".join(f"{k} {v:.0f} ms" for k, v in timings.items() if v is not None)
        lines.append(f"- {check['at']}: {check.get('error_class')} status={check.get('status')} "
                     f"{phases}")
        if check.get("error"):
            lines.append(f"  error: {check['error']}")
        if check.get("certificate"):
            cert = check["certificate"]
            lines.append(f"  certificate: {cert.get('subject')} by {cert.get('issuer')}, "
                         f"expires {cert.get('not_after')} ({cert.get('days_left')} days)")
        if check.get("redirects"):
            lines.append("  redirects: " + " -> ".join(
                f"{h.get('status')} {h.get('location')}" for h in check["redirects"]))
        if check.get("body_head"):
            lines.append("  body: " + check["body_head"][:300].replace("\n", " "))
    good = r.get("last_good")
    if good:
        timings = good.get("timings") or {}
        lines += ["", f"Last good check: status={good.get('status')} "
                      f"total={timings.get('total')} ms"]
    return "\n".join(lines)


def incident_alert(*, incident: Incident, event: str) -> None:
    monitor = incident.monitor
    if event == "opened":
        subject = f"[Sentry] DOWN {monitor.name}: {incident.error_class}"
        body = report_text(incident)
    else:
        minutes = incident.duration.total_seconds() / 60
        subject = f"[Sentry] RECOVERED {monitor.name} after {minutes:.1f} min"
        body = f"{monitor.name} recovered at {incident.resolved_at.isoformat()}."
    email_enqueue(to=settings.XUALA_ONCALL_EMAIL, subject=subject, body_text=body,
                  purpose=f"sentry.{event}", ticket=incident.ticket)
    if settings.XUALA_SENTRY_WEBHOOK_URL:
        payload = {"event": f"incident.{event}", "incident": incident.pk,
                   "monitor": monitor.name, "url": monitor.url,
                   "error_class": incident.error_class,
                   "started_at": incident.started_at.isoformat(),
                   "resolved_at": incident.resolved_at.isoformat()
                   if incident.resolved_at else None, "report": incident.report}
        body_json = json.dumps(payload, sort_keys=True, default=str)
        transaction.on_commit(lambda: webhook_deliver.enqueue(body=body_json, attempt=1))


def signature(body: str, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


@task()
def webhook_deliver(*, body: str, attempt: int) -> int:
    """POST the incident to the configured webhook, signed with HMAC-SHA256."""
    url = settings.XUALA_SENTRY_WEBHOOK_URL
    secret = settings.XUALA_SENTRY_WEBHOOK_SECRET
    if not url.startswith(("https://", "http://")):
        raise ValueError("XUALA_SENTRY_WEBHOOK_URL must be an http(s) URL")
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "User-Agent": "XualaSentry/1.0",
        "X-Xuala-Signature": signature(body, secret)})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except Exception as exc:
        if attempt >= 5:
            log.error("webhook gave up after %s attempts: %s", attempt, exc)
            raise
        from datetime import timedelta

        from django.utils import timezone

        webhook_deliver.using(run_after=timezone.now() + timedelta(seconds=30 * 2 ** attempt)) \
            .enqueue(body=body, attempt=attempt + 1)
        return 0


def incident_ticket(*, incident: Incident):
    """A plan site down opens an urgent ticket (§6.3.6, an emergency under §1).

    The ticket is written by the desk, not by the client: a message in her language and in
    words (what fails, since when in the policy's time zone, what we are doing), with the
    technical report as an internal note for agents. The desk's urgent review keeps one
    open ticket per site and cause: a later incident of the same site joins it, and so does
    the client's own open site-down emergency.

    A hosting server down pages on-call as a web-service emergency; it has no
    customer ticket of its own.
    """
    from xuala.desk.models import Channel
    from xuala.desk.services import UrgentWords, event_record, urgent_review
    from xuala.sentry import texts

    monitor = incident.monitor
    if monitor.kind == MonitorKind.SERVER:
        email_enqueue(to=settings.XUALA_ONCALL_EMAIL,
                      subject=f"EMERGENCY: server {monitor.name} down ({incident.error_class})",
                      body_text=report_text(incident), purpose="oncall.page")
        return None
    site = monitor.site
    said = {"site_url": site.url, "error_class": incident.error_class,
            "since": incident.started_at}

    def words(language: str) -> UrgentWords:
        subject, body = texts.incident_opened(language=language, **said)
        return UrgentWords(subject=subject, opened=body,
                           joined=texts.incident_joined(language=language, **said))

    outcome = urgent_review(site=site, cause="sentry", words=words,
                            evidence=report_text(incident), at=incident.confirmed_at,
                            channel=Channel.SENTRY, category="site_down",
                            joined_key="sentry.incident_joined", incident=incident.pk)
    if outcome is None:
        log.warning("no ticket for incident %s", incident.pk)
        return None
    if outcome.opened:
        event_record(ticket=outcome.ticket, key="sentry.incident_opened",
                     incident=incident.pk)
    return outcome.ticket


def incident_ticket_recovered(*, incident: Incident) -> None:
    if incident.ticket_id is None:
        return
    from xuala.desk.models import Channel
    from xuala.desk.services import event_record, ticket_note, ticket_system_message
    from xuala.sentry import texts

    ticket = incident.ticket
    seconds = round(incident.duration.total_seconds())
    ticket_note(ticket=ticket, author=None,
                body_text=f"Online Sentry: recovered at {incident.resolved_at.isoformat()} "
                          f"after {seconds / 60:.1f} minutes of downtime.")
    event_record(ticket=ticket, key="sentry.recovered", incident=incident.pk,
                 downtime_seconds=seconds)
    # The client was told "we will write to you here as soon as it works again".
    ticket_system_message(
        ticket=ticket, channel=Channel.SENTRY, key="sentry.recovery_told", at=incident.resolved_at,
        body_text=texts.incident_recovered(site_url=incident.monitor.site.url,
                                           since=incident.resolved_at, downtime_seconds=seconds,
                                           language=ticket.language),
        incident=incident.pk)
