"""Abstract bases that several apps' models share (no tables of their own)."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def choices(name: str, /, **labels) -> type[models.TextChoices]:
    """The choices of a model field, declared as data: ``value=_("Label")`` for each member.

    Every enumeration in xuala is made here, one way: the keyword is the value stored in the
    database, its argument the translated label (``makemessages`` finds it as usual), and the
    member's Python name is the value in capitals (``RunState.QUEUED == "queued"``; the empty
    value is ``NONE``). The result is an ordinary ``models.TextChoices`` (Django's functional
    form), so ``.choices``, ``.label``, ``.values`` and migrations are as with a class; the
    members are in the order given, which is the order forms and filters show them."""
    members = [((value.upper() or "NONE"), (value, label)) for value, label in labels.items()]
    module = sys._getframe(1).f_globals["__name__"]  # for pickling, as a class would have
    return models.TextChoices(name, members, module=module)


def user_or_null(related_name: str = "+", **options) -> models.ForeignKey:
    """A link to a user that outlives the user: it becomes empty (NULL) when the user is
    deleted, so the row that names who acted, wrote or was assigned stays."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name=related_name, **options)


class KeyedEvent(models.Model):
    """An audit row: a machine key (``job.claimed``, ``wsa.audit_done``…), when, and data."""

    key = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.key} at {self.at:%Y-%m-%d %H:%M}"


class EventRow(KeyedEvent):
    """An audit row with a longer, indexed key and the user who acted, if any."""

    key = models.CharField(max_length=60, db_index=True)
    actor = user_or_null()

    class Meta(KeyedEvent.Meta):
        abstract = True


class HashedSecret(models.Model):
    """A secret shown once, at creation; the database keeps its SHA-256 hash (looked up by
    equality, so no secret is ever compared character by character) and a short prefix that
    people can see and name when they revoke it."""

    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
