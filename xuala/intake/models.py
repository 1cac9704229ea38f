"""Inbound mail: every message that reaches the desk is stored raw before anything else.

A row is the unit of the intake pipeline. It is written and committed by
``inbound_accept`` (the SMTP/LMTP listener, the MTA pipe and the IMAP poller
answer "accepted" only after that commit), then ``inbound_process`` parses it
and acts once. A row left "received" (a crash, a database hiccup) is a due row
for the intake engine (``next_attempt_at``).

Where the raw bytes live: inline in ``raw`` (a BLOB) up to ``RAW_INLINE_MAX``
bytes, in a file under ``MEDIA_ROOT/inbound/`` beyond it. Nearly all support
mail is a few kilobytes: keeping it in the row makes storing it and the "this
message was accepted" fact one commit, with no file to lose, no directory to
back up separately and no orphan to clean. Large mail (attachments, up to the
25 MB SMTP limit) would bloat the database file, its WAL and every backup, and
is read rarely, so it goes to a file written and fsynced *before* the row is
committed; the file name is the SHA-256 of the bytes, so a retried delivery
rewrites the same file and a crash between file and commit leaves only an
orphan, never a row without its bytes.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xuala.core.models import choices, user_or_null

RAW_INLINE_MAX = 512 * 1024


InboundPath = choices("InboundPath", smtp="SMTP", lmtp="LMTP", pipe=_("MTA pipe"), imap="IMAP")


InboundStatus = choices("InboundStatus", received=_("Received, not processed yet"),
                        processed=_("Processed"), held=_("Held for an agent or the sender"),
                        ignored=_("Ignored"), failed=_("Failed (gave up retrying)"))


class InboundMessage(models.Model):
    # Idempotency: the Message-ID, or "sha256:<content_sha256>" when the message has none
    # or another message took its Message-ID first.
    message_key = models.CharField(max_length=255, unique=True)
    message_id = models.CharField(max_length=998, blank=True)
    raw = models.BinaryField(null=True, blank=True, editable=False)
    raw_file = models.CharField(max_length=300, blank=True,
                                help_text="Path under MEDIA_ROOT when too large to keep inline.")
    raw_size = models.PositiveIntegerField(default=0)
    raw_sha256 = models.CharField(max_length=64)
    # Of the message without the trace fields relays add (services.content_sha256): the same
    # message delivered twice has it equal, another one under a reused Message-ID does not.
    content_sha256 = models.CharField(max_length=64, blank=True)

    path = models.CharField(max_length=8, choices=InboundPath.choices)
    envelope_from = models.CharField(max_length=500, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    helo = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    # Known after parsing, for the agents' lists and the sender's confirmation page.
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=250, blank=True)

    status = models.CharField(max_length=10, choices=InboundStatus.choices,
                              default=InboundStatus.RECEIVED)
    # A machine key of what was done (ticket.opened, door.not_client, auth.held…).
    outcome = models.CharField(max_length=40, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="inbound_messages")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due row of the intake engine: set while the row is "received", cleared once done.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    # A message held because the sender could not be authenticated: the contact whose
    # address it claims confirms it (or not) in the client area with this token.
    claimed_user = user_or_null()
    confirm_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sender_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name, verbose_name_plural = _("inbound message"), _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="intake_due_idx",
                         condition=Q(status="received")),
            models.Index(fields=["status", "-received_at"], name="intake_status_idx"),
            models.Index(fields=["claimed_user"], name="intake_claimed_idx",
                         condition=Q(status="held")),
        ]

    def __str__(self) -> str:
        return f"{self.message_key} ({self.status})"

    def raw_bytes(self) -> bytes:
        """The message exactly as it was received."""
        if self.raw_file:
            return (Path(settings.MEDIA_ROOT) / self.raw_file).read_bytes()
        return bytes(self.raw or b"")
