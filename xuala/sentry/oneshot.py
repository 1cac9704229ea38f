"""§1: a request that says a site or server is down starts an immediate one-shot check.

Whatever the channel (the client-area form, mail, the API), a ticket that triage judges a
web-service emergency is verified at once: the client's sites (the one named first), the
servers hosting them and a few other sites on those servers are checked now, each failure
checked a second time to confirm it. The live facts then decide what the text cannot:

- a server fault (its server failing, or the other sites on that server failing too), or a
  failure that cannot be compared (a site without a known server): an emergency (§1). The
  proposal is applied by the system at once, at any hour (a weekend too), the ticket becomes
  an emergency and on-call is paged;
- the client's website failing while its server and the other sites on that server work: a
  fault of the website (§6.2), not an emergency: covered by a plan's urgent review (§6.3.6),
  the plans offered without one; applied by the system too;
- no confirmed failure: a proposal stays a proposal for the agent.

A client who picks the "site down" category in the form has the emergency applied at once
(on-call paged without waiting); the check still runs, and a fault of the website alone turns
it into the §6.2 decision as above, on-call told to stand down. Without a failure, or with a
server fault, the client's emergency stands.

The check's results and what they decided are the event ``sentry.emergency_checked``, shown
to the agent beside the proposal. The check runs after the ticket's transaction commits, in
a thread of its own (mail intake does not wait for it); ``XUALA_EMERGENCY_CHECK`` = "thread"
(default), "inline" (in the committing thread; tests) or "off".
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
NEIGHBOURS = 3  # other customers' sites checked on each server, to tell a site from a server


@dataclass(frozen=True)
class Target:
    kind: str  # "site" (the client's), "neighbour" (another customer's) or "server"
    name: str
    url: str
    options: dict
    server: str = ""  # a site's server (its name), to compare the sites on one server
    site_id: int | None = None  # the client's site


def _targets(ticket) -> list[Target]:
    """The client's sites, the named one first, the servers hosting them, and a few other
    sites on each of those servers (monitored ones first)."""
    from xuala.customers.models import Site
    from xuala.sentry.models import Monitor, MonitorKind

    sites = list(Site.objects.filter(customer_id=ticket.customer_id).select_related("server")
                 .order_by("pk"))
    sites.sort(key=lambda s: s.pk != ticket.site_id)
    servers = []
    for site in sites:
        if site.server is not None and site.server not in servers and site.server.is_active:
            servers.append(site.server)
    neighbours = []
    for server in servers:
        others = (Site.objects.filter(server=server).exclude(customer_id=ticket.customer_id)
                  .select_related("server").order_by("pk"))
        monitored = set(Monitor.objects.filter(is_active=True, kind=MonitorKind.SITE,
                                               site__in=others).values_list("site_id",
                                                                            flat=True))
        neighbours += sorted(others[:50], key=lambda s: s.pk not in monitored)[:NEIGHBOURS]
    monitors = {(m.kind, m.site_id or m.server_id): m for m in Monitor.objects.filter(
        is_active=True, site__in=sites + neighbours) | Monitor.objects.filter(
        is_active=True, server__in=servers)}
    targets = []
    for kind, group in (("site", sites), ("neighbour", neighbours)):
        for site in group:
            monitor = monitors.get((MonitorKind.SITE, site.pk))
            targets.append(Target(kind, site.url, monitor.url if monitor else site.url,
                                  _options(monitor),
                                  server=site.server.name if site.server else "",
                                  site_id=site.pk if kind == "site" else None))
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
        where = {"server": target.server, "site_id": target.site_id} if target.kind != \
            "server" else {}
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
                    "status": None, **where}
        return {"kind": target.kind, "name": target.name, "url": target.url,
                "ok": result.ok, "confirmed": not first.ok and not result.ok,
                "error_class": result.error_class, "error": result.error[:300],
                "status": result.status, **where}

    return list(await asyncio.gather(*(one(t) for t in targets)))


def fault_of(results: list[dict]) -> dict:
    """What the check's results say: ``{"fault": "server"|"site"|None, "site_id", "failing"}``.

    A failing server, or a failing site of the client whose server or whose neighbours on
    that server fail too (or that has no known server to compare with), is a server or
    network fault. Failing sites of the client each on a server that works, beside other
    sites that work on it, are a fault of the website. No confirmed failure: no fault."""
    servers = {r["name"]: r for r in results if r["kind"] == "server"}
    failing = [r for r in results if r["kind"] in ("site", "server") and r["confirmed"]]
    if not failing:
        return {"fault": None, "site_id": None, "failing": []}
    urls = [r["url"] for r in failing]
    if any(r["kind"] == "server" for r in failing):
        return {"fault": "server", "site_id": None, "failing": urls}
    for site in failing:
        server = servers.get(site.get("server") or "")
        others = [r for r in results if r["kind"] in ("site", "neighbour") and r is not site
                  and r.get("server") == site.get("server")]
        if server is None or not server["ok"] or not all(r["ok"] for r in others):
            return {"fault": "server", "site_id": None, "failing": urls}
    return {"fault": "site", "site_id": failing[0].get("site_id"), "failing": urls}


def emergency_verify(*, ticket_id: int) -> dict | None:
    """Check the client's sites and servers now, and let the facts decide: a confirmed
    server fault applies the emergency, a fault of the website alone applies §6.2. Returns
    the recorded result (None when the ticket is not a site-down one)."""
    from xuala.desk.decisions import ticket_emergency_confirm
    from xuala.desk.errors import InvalidTransition
    from xuala.desk.events import event_record
    from xuala.desk.models import Ticket, TriageState
    from xuala.desk.retriage import ticket_site_fault_confirm
    from xuala.policy.schema import Decision

    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.triage_decision != Decision.EMERGENCY:
        return None
    targets = _targets(ticket)
    results = asyncio.run(_check_all(targets)) if targets else []
    found = fault_of(results)
    at = timezone.now()
    summary = {"confirmed": bool(found["failing"]), "fault": found["fault"],
               "results": results}
    with transaction.atomic():
        event_record(ticket=ticket, key="sentry.emergency_checked", at=at, **summary)
        ticket.refresh_from_db()
        if found["fault"] == "server" and ticket.triage_state == TriageState.PROPOSED:
            ticket_emergency_confirm(ticket=ticket, at=at, failing=found["failing"])
        elif found["fault"] == "site":  # a proposal, or the form's category applied at once
            try:
                ticket_site_fault_confirm(ticket=ticket, at=at, site_id=found["site_id"],
                                          facts={"failing": found["failing"]})
            except InvalidTransition:  # a policy without a site_fault rule: the agent decides
                log.warning("ticket %s: no site_fault rule in its policy", ticket.pk)
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
