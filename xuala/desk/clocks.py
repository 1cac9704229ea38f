"""A ticket's clocks under the policy version that set them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from xuala.policy.loader import LoadedPolicy, parse_policy
from xuala.policy.models import PolicyVersion
from xuala.policy.sla import SlaTimes, sla_times


@lru_cache(maxsize=16)
def _parsed(sha256: str, source: str) -> LoadedPolicy:
    return parse_policy(source, name=f"policy version {sha256[:12]}")


def policy_of_version(version: PolicyVersion) -> LoadedPolicy:
    return _parsed(version.sha256, version.source)


def ticket_times(ticket, *, pauses: list[tuple[datetime, datetime]] | None = None) -> SlaTimes:
    """Target and due instants of ``ticket``, counting the closed pauses given."""
    loaded = policy_of_version(ticket.policy_version)
    return sla_times(loaded=loaded, received=ticket.received_at,
                     ticket_class=ticket.ticket_class, pauses=pauses or ())
