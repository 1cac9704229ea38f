"""The job kinds a node runs: kind -> runner(params, progress) -> result dict.

A runner works on the node's own files only, raises ``JobFailed`` with a reason for an
expected failure, and must be safe to run twice (a job whose node died is run again).

Runners are named by their dotted path and imported when a job of their kind runs, so this
table imports none of the apps that provide them (they import ``JobFailed`` from here).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


class JobFailed(Exception):
    """An expected failure of a job, reported to the desk with this reason."""


Runner = Callable[[dict, Callable[[dict], None]], dict]

KINDS: dict[str, str] = {
    "node.sleep": "xuala.nodes.maintenance:sleep_job",
    "wsa.audit": "xuala.wsa.node_jobs:audit",
    "wsa.quarantine": "xuala.wsa.node_jobs:quarantine_job",
    "wsa.restore": "xuala.wsa.node_jobs:restore",
    "wsa.core_replace": "xuala.wsa.node_jobs:core_replace",
    "wsa.db_strip": "xuala.wsa.node_jobs:strip_post",
    "wsa.admin_demote": "xuala.wsa.node_jobs:admin_demote",
    "site.suspend": "xuala.nodes.maintenance:suspend",
    "site.resume": "xuala.nodes.maintenance:resume",
    "updates.run": "xuala.updates.node_jobs:run",
    "antispam.blocklist": "xuala.antispam.node_jobs:apply_blocklist",
}


def runner_for(kind: str) -> Runner | None:
    """The runner of a job kind, or None when this node does not run that kind."""
    path = KINDS.get(kind)
    if path is None:
        return None
    module, name = path.split(":")
    return getattr(import_module(module), name)
