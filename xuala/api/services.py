"""State changes of API tokens: issue, revoke, and authenticate (which stamps last use)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xuala.api.errors import TokenRefused, TokenRejected
from xuala.api.models import ApiToken, HashedToken
from xuala.customers.selectors import customer_for_user

TOKEN_PREFIX = "xd_"  # noqa: S105 (a label, not a secret)
# Stamping last use on every request would make each read a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Longer values are not ours; refusing them early avoids hashing arbitrary header sizes.
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full bearer value; shown once, never stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(create: Callable[..., HashedToken]) -> tuple[HashedToken, str]:
    """Draw a secret and store its token with ``create(prefix=…, key_hash=…)``: the secret,
    returned once, is the visible prefix and a random part; the database keeps its SHA-256
    digest. A prefix that is taken already is drawn again."""
    for _attempt in range(5):
        prefix = TOKEN_PREFIX + secrets.token_hex(4)
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                return create(prefix=prefix, key_hash=token_digest(secret)), secret
        except IntegrityError:
            continue  # a prefix collision: draw again
    raise RuntimeError("could not draw a unique token prefix")


def token_revoke(model: type[HashedToken], *, prefix: str,
                 at: datetime | None = None) -> HashedToken:
    """Revoke the token of ``model`` with this visible prefix (idempotent). Raises
    ``model.DoesNotExist``."""
    token = model.objects.get(prefix=prefix.strip().rstrip("…"))
    if token.revoked_at is None:
        token.revoked_at = at or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(tokens: QuerySet, *, secret: str, holder: str,
                       now: datetime | None = None) -> HashedToken:
    """The live token of ``tokens`` whose digest matches ``secret``, with its ``holder`` (the
    field of the user or server it acts for, who must be active); stamps its last use.

    The lookup is an equality match on the digest, so the time it takes says nothing
    about how much of a guessed secret was right. Raises TokenRejected.
    """
    secret = secret.strip()
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        raise TokenRejected("token_invalid")
    token = tokens.select_related(holder).filter(key_hash=token_digest(secret)).first()
    if token is None or not getattr(token, holder).is_active:
        raise TokenRejected("token_invalid")
    if token.revoked_at is not None:
        raise TokenRejected("token_revoked")
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        tokens.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_create(*, user, name: str = "") -> IssuedToken:
    """Issue a token for ``user``: an agent (sees everything) or a customer's contact.

    Returns the secret once; the database keeps its SHA-256 digest and a visible prefix.
    """
    if not user.is_active:
        raise TokenRefused(f"{user.email} is not an active user")
    if not getattr(user, "is_agent", False) and customer_for_user(user) is None:
        raise TokenRefused(f"{user.email} is neither an agent nor a customer's contact")
    token, secret = token_issue(lambda **hashed: ApiToken.objects.create(
        user=user, name=name.strip()[:100], **hashed))
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, prefix: str, at: datetime | None = None) -> ApiToken:
    """Revoke the token with this visible prefix (idempotent). Raises ApiToken.DoesNotExist."""
    return token_revoke(ApiToken, prefix=prefix, at=at)


def api_token_authenticate(*, secret: str, now: datetime | None = None) -> ApiToken:
    """The live API token matching ``secret``, with its user (``token_authenticate``)."""
    return token_authenticate(ApiToken.objects.all(), secret=secret, holder="user", now=now)
