"""Typed errors of the API layer: each becomes a JSON body with a machine code and a detail."""

from __future__ import annotations

from ninja.errors import AuthenticationError


class ApiError(Exception):
    """A 4xx answer: ``code`` is for machines, ``detail`` for people (already translated)."""

    def __init__(self, http_status: int, code: str, detail: str, **extra):
        super().__init__(detail)
        self.status = http_status
        self.code = code
        self.detail = detail
        self.extra = extra


class TokenRejected(Exception):
    """A bearer token that does not authenticate: unknown, revoked, or of an inactive user."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class TokenRefused(Exception):
    """A token cannot be issued to this user (neither an agent nor a customer's contact)."""


class Unauthenticated(AuthenticationError):
    """No usable credentials on the request; answered with 401 and a WWW-Authenticate header."""

    def __init__(self, code: str):
        super().__init__(401, code)
        self.code = code
