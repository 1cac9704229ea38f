"""Typed errors of quotes; each carries the policy clause it comes from (§5)."""

from __future__ import annotations

from xuala.desk.errors import DeskError

CLAUSE = "5"


class QuoteError(DeskError):
    def __init__(self, message: str, *, clause: str | None = CLAUSE, code: str = "invalid"):
        super().__init__(message, clause=clause, code=code)


class QuoteExpired(QuoteError):
    """The quote's validity date has passed; it can no longer be accepted."""


class QuoteAlreadyDecided(QuoteError):
    """The quote was accepted, rejected or withdrawn already."""


class QuoteNotYours(QuoteError):
    """The user does not speak for the quote's customer (the interface answers 404)."""


class TermsNotAccepted(QuoteError):
    """Acceptance needs the client to tick the terms."""


class QuoteNotEditable(QuoteError):
    """Only a draft can be changed or sent."""


class QuoteInvalid(QuoteError):
    """Bad input: a line without description or quantity, a missing reason, no lines…"""
