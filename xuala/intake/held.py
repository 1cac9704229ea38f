"""Held mail: a message that claims a client's address without proving it waits for them.

The door holds such a message ("auth.held") and asks the client to confirm it. Here the
client's answer: confirmed, the message is released ("received", due now) and processed as
theirs through the one path of the engine; rejected, it is never acted upon. Each change
is a conditional update on the held state, so a message is released or rejected once, and
only by the user it claims to come from.
"""

from __future__ import annotations

from django.utils import timezone

from xuala.intake.engine import inbound_process
from xuala.intake.models import InboundMessage, InboundStatus


def inbound_confirm(*, message: InboundMessage, user) -> InboundMessage:
    """The contact a held message claims to come from confirms it: it is processed as theirs.

    ``message`` comes from selectors.inbound_for_confirmation (which checks the user).
    """
    if message.claimed_user_id != getattr(user, "pk", None):
        raise PermissionError("this message does not claim to come from this user")
    now = timezone.now()
    released = InboundMessage.objects.filter(
        pk=message.pk, status=InboundStatus.HELD, outcome="auth.held",
    ).update(status=InboundStatus.RECEIVED, sender_confirmed_at=now, next_attempt_at=now)
    row = InboundMessage.objects.get(pk=message.pk)
    if released:
        inbound_process(message=row)
        row.refresh_from_db()
    return row


def inbound_reject(*, message: InboundMessage, user) -> InboundMessage:
    """The contact says they did not send a held message: it is never acted upon."""
    if message.claimed_user_id != getattr(user, "pk", None):
        raise PermissionError("this message does not claim to come from this user")
    InboundMessage.objects.filter(pk=message.pk, status=InboundStatus.HELD,
                                  outcome="auth.held").update(
        status=InboundStatus.IGNORED, outcome="auth.rejected", processed_at=timezone.now())
    return InboundMessage.objects.get(pk=message.pk)
