"""§1: a request that says a site or server is down starts an immediate one-shot check.

Whatever the channel (the client-area form, mail, the API), a ticket that triage judges a
web-service emergency is verified at once: the client's sites (the one named first) and the
servers hosting them are checked now, each failure checked a second time to confirm it.

- A confirmed failure applies the emergency at once, at any hour (a weekend too): the
  proposal is applied by the system, the ticket becomes an emergency and on-call is paged.
- No confirmed failure: a proposal stays a proposal for the agent, with the check's result
  shown on the ticket (the event ``sentry.emergency_checked``).

The check runs after the ticket's transaction commits, in a thread of its own (mail intake
does not wait for it); ``XUALA_EMERGENCY_CHECK`` = "thread" (default), "inline" (in the
committing thread; tests) or "off".
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# Extra probe arguments (tests point the probe at a loopback farm: resolve, ssl_context).
PROBE_OPTIONS: dict = {}
TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Target:
    kind: str  # "site" or "server"
    name: str
    url: str
    options: dict


def _targets(ticket) -> list[Target]:
    """The client's sites, the named one first, then the servers hosting them."""
    from xuala.customers.models import Site
    from xuala.sentry.models import Monitor, MonitorKind

    sites = list(Site.objects.filter(customer_id=ticket.customer_id).select_related("server")
                 .order_by("pk"))
    sites.sort(key=lambda s: s.pk != ticket.site_id)
    servers = []
    for site in sites:
        if site.server is not None and site.server not in servers and site.server.is_active:
            servers.append(site.server)
    monitors = {(m.kind, m.site_id or m.server_id): m for m in Monitor.objects.filter(
        is_active=True, site__in=sites) | Monitor.objects.filter(is_active=True,
                                                                 server__in=servers)}
    targets = []
    for site in sites:
        monitor = monitors.get((MonitorKind.SITE, site.pk))
        targets.append(Target("site", site.url, monitor.url if monitor else site.url,
                              _options(monitor)))
    for server in servers:
        monitor = monitors.get((MonitorKind.SERVER, server.pk))
        url = monitor.url if monitor else f"https://{server.hostname}/"
        options = _options(monitor) if monitor else {"accepted_status": range(200, 500)}
        targets.append(Target("server", server.name, url, options))
    return targets


def _options(monitor) -> dict:
    if monitor is None:
        return {}
    return {"keyword": monitor.keyword or None, "keyword_absent": monitor.keyword_absent,
            "accepted_status": range(monitor.status_min, monitor.status_max + 1)}


async def _check_all(targets: list[Target]) -> list[dict]:
    from xuala.sentry.probe import PhaseTimeouts, check

    timeouts = PhaseTimeouts(total=TIMEOUT_SECONDS)

    async def one(target: Target) -> dict:
        try:
            first = await check(target.url, timeouts=timeouts, **target.options,
                                **PROBE_OPTIONS)
            result = first
            if not first.ok:  # a second look confirms the failure
                result = await check(target.url, timeouts=timeouts, **target.options,
                                     **PROBE_OPTIONS)
        except Exception as exc:  # an address the probe cannot check at all
            return {"kind": target.kind, "name": target.name, "url": target.url, "ok": False,
                    "confirmed": False, "error_class": "invalid", "error": str(exc)[:300],
                    "status": None}
        return {"kind": target.kind, "name": target.name, "url": target.url,
                "ok": result.ok, "confirmed": not first.ok and not result.ok,
                "error_class": result.error_class, "error": result.error[:300],
                "status": result.status}

    return list(await asyncio.gather(*(one(t) for t in targets)))


def emergency_verify(*, ticket_id: int) -> dict | None:
    """Check the client's sites and servers now; apply the emergency if a failure is
    confirmed. Returns the recorded result (None when the ticket is not a site-down one)."""
    from xuala.desk.decisions import ticket_emergency_confirm
    from xuala.desk.events import event_record
    from xuala.desk.models import Ticket, TriageState
    from xuala.policy.schema import Decision

    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.triage_decision != Decision.EMERGENCY:
        return None
    targets = _targets(ticket)
    results = asyncio.run(_check_all(targets)) if targets else []
    confirmed = [r for r in results if r["confirmed"]]
    at = timezone.now()
    summary = {"confirmed": bool(confirmed), "results": results}
    with transaction.atomic():
        event_record(ticket=ticket, key="sentry.emergency_checked", at=at, **summary)
        ticket.refresh_from_db()
        if confirmed and ticket.triage_state == TriageState.PROPOSED:
            ticket_emergency_confirm(ticket=ticket, at=at,
                                     failing=[r["url"] for r in confirmed])
    return summary


def emergency_verify_after_commit(ticket_id: int) -> None:
    """Schedule the one-shot check of a new emergency ticket once its transaction commits."""
    mode = settings.XUALA_EMERGENCY_CHECK
    if mode == "off":
        return
    if mode == "inline":
        transaction.on_commit(lambda: emergency_verify(ticket_id=ticket_id))
        return

    def run() -> None:
        try:
            emergency_verify(ticket_id=ticket_id)
        except Exception:
            log.exception("one-shot emergency check of ticket %s failed", ticket_id)
        finally:
            close_old_connections()

    transaction.on_commit(lambda: threading.Thread(target=run, name=f"emergency-{ticket_id}",
                                                   daemon=True).start())
