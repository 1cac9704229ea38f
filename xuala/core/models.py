"""Abstract bases that several apps' models share (no tables of their own)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")

    class Meta(KeyedEvent.Meta):
        abstract = True
