"""Typed errors of the nodes app."""

from __future__ import annotations


class NodeError(Exception):
    code = "node_error"


class JobNotYours(NodeError):
    """The job does not exist for this node: another server's, or no such job."""

    code = "not_found"


class LeaseLost(NodeError):
    """The job was claimed again (this node's lease ended) or is already finished."""

    code = "lease_lost"


class AttachRefused(NodeError):
    code = "attach_refused"
