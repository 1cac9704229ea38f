"""Typed errors of the knowledge base."""

from __future__ import annotations


class KbError(Exception):
    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code


class VoteRateLimited(KbError):
    """Too many votes from one network address within the last hour; nothing was stored."""
