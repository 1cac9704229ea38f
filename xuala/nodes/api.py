"""The node API under /api/v1/nodes/: claim jobs, heartbeat them, upload their results.

Authenticated by node tokens only (``Authorization: Bearer xn_…``); a user's API token is
not a node token and is refused, as a node token is refused on the user routes. A node sees
only its own server's jobs: any other job id is a 404, the same answer as no such job.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from xuala.api.auth import StrictBearer
from xuala.api.errors import ApiError, TokenRejected, Unauthenticated
from xuala.api.schemas import ErrorOut
from xuala.nodes import services
from xuala.nodes.errors import JobNotYours, LeaseLost
from xuala.nodes.models import NodeToken


class NodeBearer(StrictBearer):
    """A node's token (``xn_…``); a user's API token is refused."""

    def authenticate(self, request: HttpRequest, token: str) -> NodeToken:
        try:
            return services.node_token_authenticate(secret=token)
        except TokenRejected as exc:
            raise Unauthenticated(exc.code) from None


router = Router(auth=NodeBearer(), tags=["nodes"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ClaimIn(Schema):
    max: int = Field(1, ge=1, le=10)


class JobOut(Schema):
    id: int
    key: str
    kind: str
    attempt: int
    params: dict[str, Any]
    lease_seconds: int


class ClaimOut(Schema):
    server: str
    jobs: list[JobOut]


class HeartbeatIn(Schema):
    attempt: int = Field(ge=1)
    progress: dict[str, Any] | None = None


class HeartbeatOut(Schema):
    lease_seconds: int


class ResultIn(Schema):
    attempt: int = Field(ge=1)
    ok: bool
    result: dict[str, Any] | None = None
    error: str = ""


class ResultOut(Schema):
    state: str


def _token(request: HttpRequest) -> NodeToken:
    return request.auth  # type: ignore[attr-defined]


def _refused(exc: Exception):
    if isinstance(exc, JobNotYours):
        return ApiError(404, "not_found", _("Not found."))
    return ApiError(409, "lease_lost",
                    _("This job is no longer held by this node (its lease ended)."))


@router.post("/claim", response={200: ClaimOut, **ERRORS}, summary="Claim due jobs")
def claim(request: HttpRequest, payload: ClaimIn):
    """Due jobs of this node's own server, each under a lease to keep with heartbeats."""
    token = _token(request)
    jobs = services.job_claim(token=token, batch=payload.max)
    lease = int(services.lease_duration().total_seconds())
    return {"server": token.server.name,
            "jobs": [{"id": j.pk, "key": j.key, "kind": j.kind, "attempt": j.attempts,
                      "params": j.params, "lease_seconds": lease} for j in jobs]}


@router.post("/jobs/{job_id}/heartbeat", response={200: HeartbeatOut, **ERRORS},
             summary="Extend a job's lease, report progress")
def heartbeat(request: HttpRequest, job_id: int, payload: HeartbeatIn):
    try:
        services.job_heartbeat(token=_token(request), job_id=job_id, attempt=payload.attempt,
                               progress=payload.progress)
    except (JobNotYours, LeaseLost) as exc:
        raise _refused(exc) from None
    return {"lease_seconds": int(services.lease_duration().total_seconds())}


@router.post("/jobs/{job_id}/result", response={200: ResultOut, **ERRORS},
             summary="Upload a job's result")
def result(request: HttpRequest, job_id: int, payload: ResultIn):
    try:
        job = services.job_finish(token=_token(request), job_id=job_id,
                                  attempt=payload.attempt, ok=payload.ok,
                                  result=payload.result, error=payload.error)
    except (JobNotYours, LeaseLost) as exc:
        raise _refused(exc) from None
    return {"state": job.state}
