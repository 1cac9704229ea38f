"""Reads the active policy: the file XUALA_POLICY names, or the shipped default."""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from xuala.policy.loader import LoadedPolicy, load_policy

_lock = threading.Lock()
_cache: dict[tuple[str | None, int], LoadedPolicy] = {}


def channel_accepted(channel: str) -> bool:
    """Whether the policy in force accepts requests from clients through ``channel`` (§3)."""
    return channel in {c.value for c in policy_active().policy.channels.accepted}


def policy_active() -> LoadedPolicy:
    """The policy in force now; a changed file is picked up on the next call."""
    path = settings.XUALA_POLICY
    mtime = Path(path).stat().st_mtime_ns if path else 0
    key = (path, mtime)
    loaded = _cache.get(key)
    if loaded is None:
        with _lock:
            loaded = _cache.get(key)
            if loaded is None:
                loaded = load_policy(path)
                _cache.clear()
                _cache[key] = loaded
    return loaded


def company_name() -> str:
    """The company's name wherever it is shown: the policy file's, never a second setting."""
    return policy_active().policy.policy.company
