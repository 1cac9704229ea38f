"""Typed errors of the desk; each carries the policy clause it comes from, if any."""

from __future__ import annotations


class DeskError(Exception):
    clause: str | None = None

    def __init__(self, message: str, *, clause: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.clause = clause
        self.code = code


class CoverageRefused(DeskError):
    """The policy does not let this request become a ticket (e.g. not a client, §6)."""


class ChannelRefused(DeskError):
    """A client's request through a channel the policy does not accept (§3)."""


class AttachmentRejected(DeskError):
    """An upload over the size or count limit, or empty."""


class InvalidTransition(DeskError):
    """A status change the ticket cannot make."""
