"""State changes of nodes: tokens, site roots, jobs (enqueue, claim, heartbeat, finish).

The desk never reaches into a node: nodes pull. ``job_claim`` hands a node only the jobs of
its own server, through ``claim_due`` with a lease; ``job_heartbeat`` extends the lease and
stores progress; ``job_finish`` stores the result and hands it to the kind's result handler
on the desk (registered by the app that owns the kind, see ``RESULT_HANDLERS``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from xuala.api.errors import TokenRejected
from xuala.api.services import LAST_USED_RESOLUTION, MAX_TOKEN_LENGTH, token_digest
from xuala.core.claims import claim_due
from xuala.customers.models import HostingServer, Site
from xuala.nodes.errors import AttachRefused, JobNotYours, LeaseLost
from xuala.nodes.models import Job, JobEvent, JobState, Node, NodeToken, SiteRoot

TOKEN_PREFIX = "xn_"  # noqa: S105 (a label, not a secret)


def lease_duration() -> timedelta:
    """How long a claim or a heartbeat holds a job (``XUALA_NODE_LEASE_SECONDS``)."""
    from django.conf import settings

    return timedelta(seconds=settings.XUALA_NODE_LEASE_SECONDS)


RETRY_AFTER = timedelta(seconds=30)  # a failed attempt is retried after this

# kind -> handler(job) called on the desk, in the transaction that stores the result.
RESULT_HANDLERS: dict[str, Callable[[Job], None]] = {}


def result_handler(kind: str):
    def register(function: Callable[[Job], None]) -> Callable[[Job], None]:
        RESULT_HANDLERS[kind] = function
        return function
    return register


@dataclass(frozen=True)
class IssuedNodeToken:
    token: NodeToken
    secret: str  # shown once, never stored


def node_event(*, job: Job, key: str, at: datetime | None = None, **data) -> JobEvent:
    return JobEvent.objects.create(job=job, key=key, at=at or timezone.now(), data=data)


def node_token_create(*, server: HostingServer, name: str = "") -> IssuedNodeToken:
    """Issue a token for ``server``'s node; the secret is returned once (SHA-256 kept)."""
    for _attempt in range(5):
        prefix = TOKEN_PREFIX + secrets.token_hex(4)
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = NodeToken.objects.create(server=server, name=name.strip()[:100],
                                                 prefix=prefix, key_hash=token_digest(secret))
        except IntegrityError:
            continue
        Node.objects.get_or_create(server=server)
        return IssuedNodeToken(token=token, secret=secret)
    raise RuntimeError("could not draw a unique token prefix")


def node_token_revoke(*, prefix: str, at: datetime | None = None) -> NodeToken:
    token = NodeToken.objects.get(prefix=prefix.strip().rstrip("…"))
    if token.revoked_at is None:
        token.revoked_at = at or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def node_token_authenticate(*, secret: str, now: datetime | None = None) -> NodeToken:
    """The live node token matching ``secret`` (an equality match on its digest)."""
    secret = secret.strip()
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        raise TokenRejected("token_invalid")
    token = (NodeToken.objects.select_related("server")
             .filter(key_hash=token_digest(secret)).first())
    if token is None or not token.server.is_active:
        raise TokenRejected("token_invalid")
    if token.revoked_at is not None:
        raise TokenRejected("token_revoked")
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        NodeToken.objects.filter(pk=token.pk).update(last_used_at=now)
        Node.objects.filter(server_id=token.server_id).update(last_seen_at=now)
        token.last_used_at = now
    return token


def node_mark_local(*, server: HostingServer, is_local: bool = True) -> Node:
    node, _ = Node.objects.get_or_create(server=server)
    if node.is_local != is_local:
        node.is_local = is_local
        node.save(update_fields=["is_local"])
    return node


LOCAL_TOKEN_NAME = "local node (xuala run)"  # noqa: S105 (a label)


def local_node_tokens() -> list[tuple[HostingServer, str]]:
    """For each server marked local that has attached sites, a fresh token for the agent
    `xuala run` starts; the tokens of earlier runs are revoked."""
    out = []
    servers = HostingServer.objects.filter(node__is_local=True, is_active=True,
                                           sites__root__isnull=False).distinct()
    for server in servers:
        for old in NodeToken.objects.filter(server=server, name=LOCAL_TOKEN_NAME,
                                            revoked_at__isnull=True):
            node_token_revoke(prefix=old.prefix)
        out.append((server, node_token_create(server=server, name=LOCAL_TOKEN_NAME).secret))
    return out


def site_attach(*, site: Site, root: str, server: HostingServer | None = None) -> SiteRoot:
    """Record the site's document root (an absolute path on its server) and its server."""
    root = root.strip()
    if not root.startswith("/") or "\x00" in root:
        raise AttachRefused(f"the document root must be an absolute path: {root!r}")
    root = root.rstrip("/") or "/"
    if server is not None and site.server_id != server.pk:
        Site.objects.filter(pk=site.pk).update(server=server)
        site.server = server
    if site.server_id is None:
        raise AttachRefused(f"{site.url} has no hosting server; name one with --server")
    Node.objects.get_or_create(server_id=site.server_id)
    attached, _ = SiteRoot.objects.update_or_create(site=site, defaults={"path": root})
    return attached


def job_enqueue(*, kind: str, key: str, site: Site | None = None,
                server: HostingServer | None = None, params: dict | None = None,
                at: datetime | None = None, max_attempts: int = 5) -> tuple[Job, bool]:
    """Queue a job under an idempotency key: the same key gives the same job, once.

    Returns (job, created). A site's job runs on the site's server.
    """
    server = server or (site.server if site is not None else None)
    if server is None:
        raise ValueError("a job needs a server (or a site that has one)")
    at = at or timezone.now()
    existing = Job.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            job = Job.objects.create(key=key, kind=kind, server=server, site=site,
                                     params=params or {}, next_at=at, created_at=at,
                                     max_attempts=max_attempts)
            node_event(job=job, key="job.queued", at=at)
    except IntegrityError:
        return Job.objects.get(key=key), False
    return job, True


def _root_of(job: Job) -> str | None:
    if job.site_id is None:
        return None
    root = SiteRoot.objects.filter(site_id=job.site_id).values_list("path", flat=True).first()
    return root


def job_claim(*, token: NodeToken, now: datetime | None = None, batch: int = 1,
              lease: timedelta | None = None) -> list[Job]:
    """Claim due jobs of the token's own server, each under a lease of ``lease``.

    A job whose attempts are used up is marked failed instead of being handed out.
    """
    now = now or timezone.now()
    lease = lease or lease_duration()
    candidates = Job.objects.filter(server_id=token.server_id,
                                    state__in=[JobState.QUEUED, JobState.RUNNING])

    def take(job: Job) -> dict:
        return {"state": JobState.RUNNING, "next_at": now + lease, "lease_until": now + lease,
                "heartbeat_at": now, "attempts": job.attempts + 1, "holder_id": token.pk}

    claimed = claim_due(candidates, field="next_at", now=now, batch=batch, update=take,
                        guard=("attempts",))
    out = []
    for job in claimed:
        if job.attempts > job.max_attempts:
            Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, next_at=None,
                                                 finished_at=now)
            node_event(job=job, key="job.gave_up", at=now, attempts=job.attempts - 1)
            continue
        node_event(job=job, key="job.claimed", at=now, attempt=job.attempts,
                   node=token.prefix)
        job.params = {**job.params, **({"root": _root_of(job)} if job.site_id else {})}
        out.append(job)
    return out


def _held(*, token: NodeToken, job_id: int, attempt: int) -> Job:
    job = Job.objects.filter(pk=job_id, server_id=token.server_id).first()
    if job is None:
        raise JobNotYours(job_id)
    if job.state != JobState.RUNNING or job.attempts != attempt or job.holder_id != token.pk:
        raise LeaseLost(job_id)
    return job


def job_heartbeat(*, token: NodeToken, job_id: int, attempt: int, progress: dict | None = None,
                  now: datetime | None = None, lease: timedelta | None = None) -> Job:
    """Extend the lease of a job this node holds and store its progress."""
    now = now or timezone.now()
    lease = lease or lease_duration()
    job = _held(token=token, job_id=job_id, attempt=attempt)
    values = {"next_at": now + lease, "lease_until": now + lease, "heartbeat_at": now}
    if progress is not None:
        values["progress"] = progress
    if not Job.objects.filter(pk=job.pk, attempts=attempt, state=JobState.RUNNING).update(**values):
        raise LeaseLost(job_id)
    for name, value in values.items():
        setattr(job, name, value)
    return job


def job_finish(*, token: NodeToken, job_id: int, attempt: int, ok: bool,
               result: dict | None = None, error: str = "",
               now: datetime | None = None) -> Job:
    """Store the result of a job this node holds; a failure is retried later (another
    attempt) until its attempts are used up. A success is handed to the kind's handler."""
    now = now or timezone.now()
    with transaction.atomic():
        job = _held(token=token, job_id=job_id, attempt=attempt)
        if ok:
            values = {"state": JobState.DONE, "next_at": None, "result": result or {},
                      "finished_at": now, "error": ""}
        elif job.attempts >= job.max_attempts:
            values = {"state": JobState.FAILED, "next_at": None, "result": result,
                      "finished_at": now, "error": error[:5000]}
        else:
            values = {"state": JobState.QUEUED, "next_at": now + RETRY_AFTER * job.attempts,
                      "error": error[:5000], "holder_id": None}
        if not Job.objects.filter(pk=job.pk, attempts=attempt,
                                  state=JobState.RUNNING).update(**values):
            raise LeaseLost(job_id)
        for name, value in values.items():
            setattr(job, name, value)
        node_event(job=job, key="job.done" if ok else "job.failed", at=now, attempt=attempt,
                   **({"error": error[:500]} if error else {}))
        handler = RESULT_HANDLERS.get(job.kind)
        if handler is not None and job.state in (JobState.DONE, JobState.FAILED):
            handler(job)
    return job


def job_cancel(*, job: Job, reason: str, at: datetime | None = None) -> bool:
    """Withdraw a job no node has claimed yet (its moment has passed); False if a node
    already holds or finished it. No result handler runs: the job's owner decided."""
    at = at or timezone.now()
    if not Job.objects.filter(pk=job.pk, state=JobState.QUEUED, attempts=0).update(
            state=JobState.FAILED, next_at=None, finished_at=at, error=reason[:5000]):
        return False
    job.state, job.next_at, job.finished_at, job.error = JobState.FAILED, None, at, reason
    node_event(job=job, key="job.cancelled", at=at, reason=reason[:500])
    return True
