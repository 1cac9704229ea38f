"""The job kinds a node runs: kind -> runner(params, progress) -> result dict.

A runner works on the node's own files only, raises ``JobFailed`` with a reason for an
expected failure, and must be safe to run twice (a job whose node died is run again).
"""

from __future__ import annotations

from collections.abc import Callable


class JobFailed(Exception):
    """An expected failure of a job, reported to the desk with this reason."""


Runner = Callable[[dict, Callable[[dict], None]], dict]


def _wsa(name: str) -> Runner:
    def run(params: dict, progress) -> dict:
        from xuala.wsa import node_jobs

        return getattr(node_jobs, name)(params, progress)
    return run


def _maintenance(name: str) -> Runner:
    def run(params: dict, progress) -> dict:
        from xuala.nodes import maintenance

        return getattr(maintenance, name)(params, progress)
    return run


def _sleep(params: dict, progress) -> dict:
    from xuala.nodes.agent import sleep_job

    return sleep_job(params, progress)


KINDS: dict[str, Runner] = {
    "node.sleep": _sleep,
    "wsa.audit": _wsa("audit"),
    "wsa.quarantine": _wsa("quarantine_job"),
    "wsa.restore": _wsa("restore"),
    "wsa.core_replace": _wsa("core_replace"),
    "wsa.db_strip": _wsa("strip_post"),
    "wsa.admin_demote": _wsa("admin_demote"),
    "site.suspend": _maintenance("suspend"),
    "site.resume": _maintenance("resume"),
}
