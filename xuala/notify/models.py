"""Outbound mail: every message the desk sends is a row first, sent by the outbox engine."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from xuala.core.models import choices

OutboundStatus = choices("OutboundStatus", pending="pending", sent="sent", failed="failed")


class OutboundEmail(models.Model):
    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    auto_submitted = models.BooleanField(default=False)
    # Files sent with the mail: [{"filename", "content_type", "content" (base64)}].
    attachments = models.JSONField(default=list, blank=True)
    # A machine key of what this mail is (ticket.ack, sla.warning, oncall.page…).
    purpose = models.CharField(max_length=40)
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="outbound")
    status = models.CharField(max_length=8, choices=OutboundStatus.choices,
                              default=OutboundStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_attempt_at"], name="notify_due_idx",
                                condition=Q(status="pending"))]

    def __str__(self) -> str:
        return f"{self.purpose} to {self.to} ({self.status})"
