"""State changes of the policy app: recording the versions the desk runs under."""

from __future__ import annotations

from xuala.policy.loader import LoadedPolicy
from xuala.policy.models import PolicyVersion
from xuala.policy.selectors import policy_active


def policy_version_record(*, loaded: LoadedPolicy | None = None) -> PolicyVersion:
    """Store the policy's text as a version (once per distinct text) and return it."""
    loaded = loaded or policy_active()
    version, _ = PolicyVersion.objects.get_or_create(
        sha256=loaded.sha256, defaults={"source": loaded.source, "source_name": loaded.name}
    )
    return version
