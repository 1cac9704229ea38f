"""Queueing and sending outbound mail (the outbox is a due-row engine)."""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from email import encoders
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, parseaddr
from smtplib import SMTPRecipientsRefused, SMTPResponseException

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from xuala.core.claims import claim_due
from xuala.core.text import one_line
from xuala.notify.models import OutboundEmail, OutboundStatus
from xuala.policy.selectors import company_name

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# The agents' notice that a message was given up on.
GAVE_UP_PURPOSE = "mail.failed"


def sender() -> str:
    """The From of outgoing mail: XUALA_MAIL_FROM, named after the policy's company when the
    setting gives a bare address (the company's name has one source, the policy file)."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name or company_name(), address))


def make_message_id() -> str:
    domain = settings.XUALA_MAIL_DOMAIN
    return f"<{uuid.uuid4().hex}@{domain}>"


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content: bytes
    # Parameters are kept: "text/calendar; method=REQUEST" is what makes an invitation.
    content_type: str = "application/octet-stream"


def email_enqueue(**fields) -> OutboundEmail:
    """Store a message for the outbox; it is sent after the surrounding transaction commits.

    Takes the keyword arguments of ``email_build``.
    """
    mail = email_build(**fields)
    mail.save(force_insert=True)
    return mail


def email_build(
    *,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    purpose: str,
    ticket=None,
    in_reply_to: str = "",
    references: str = "",
    auto_submitted: bool = False,
    attachments: Sequence[MailAttachment] = (),
) -> OutboundEmail:
    """The outbox row ``email_enqueue`` stores, not saved (for writers of many at once)."""
    return OutboundEmail(
        to=to, subject=one_line(subject)[:300], body_text=body_text, body_html=body_html,
        purpose=purpose, ticket=ticket, message_id=make_message_id(), in_reply_to=in_reply_to,
        references=references, auto_submitted=auto_submitted,
        attachments=[{"filename": a.filename, "content_type": a.content_type,
                      "content": base64.b64encode(a.content).decode("ascii")}
                     for a in attachments],
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** (attempts - 1)))


def outbox_step(*, batch: int = 50, now=None) -> int:
    """Send what is due; returns how many were sent.

    1. Claim up to ``batch`` pending rows whose next_attempt_at has passed, through
       ``xuala.core.claims.claim_due``: the claim counts the attempt and moves
       next_attempt_at forward by the back-off (a lease), conditional on the row being
       unchanged since it was read; a row another engine claimed first is left out.
    2. Send each claimed row, outside the claim's transaction (the relay may be slow): on
       success mark it sent, on failure keep the back-off, record the error, and give up
       after MAX_ATTEMPTS.

    Why no message goes twice: only the engine whose conditional update moved the lease
    sends; another engine sees the row again only when the lease has run out (the engine
    that claimed it died before marking it sent or failed).
    """
    now = now or timezone.now()

    def lease(row: OutboundEmail) -> dict:
        return {"attempts": row.attempts + 1,
                "next_attempt_at": now + _backoff(row.attempts + 1)}

    claimed = claim_due(OutboundEmail.objects.filter(status=OutboundStatus.PENDING),
                        field="next_attempt_at", now=now, batch=batch, update=lease,
                        guard=["status", "attempts"])
    sent = 0
    connection = get_connection()
    for row in claimed:
        pk = row.pk
        try:
            _send(row, connection)
        except Exception as exc:
            permanent = _never_sendable(exc)
            give_up = permanent or row.attempts >= MAX_ATTEMPTS
            error = f"{exc.__class__.__name__}: {exc}"[:2000]
            OutboundEmail.objects.filter(pk=pk).update(
                last_error=error,
                status=OutboundStatus.FAILED if give_up else OutboundStatus.PENDING,
                next_attempt_at=None if give_up else row.next_attempt_at,
            )
            log.warning("outbound %s failed (attempt %s): %s", pk, row.attempts, exc)
            if give_up:
                _gave_up(row, error=error, permanent=permanent, at=now)
            continue
        OutboundEmail.objects.filter(pk=pk).update(status=OutboundStatus.SENT,
                                                   sent_at=timezone.now(), next_attempt_at=None)
        sent += 1
    return sent


def _never_sendable(exc: Exception) -> bool:
    """Whether retrying cannot help: the message itself is refused (a header with a line
    break, a malformed address or attachment) or the relay refused it for good (5xx)."""
    if isinstance(exc, BadHeaderError | UnicodeError | binascii.Error | KeyError | TypeError
                  | ValueError | SMTPRecipientsRefused):
        return True
    if isinstance(exc, SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def _gave_up(row: OutboundEmail, *, error: str, permanent: bool, at) -> None:
    """A message that will not be sent: the ticket records why and the agents are told (the
    notice itself is not a ticket's mail, so a failing notice does not notify again)."""
    if row.purpose == GAVE_UP_PURPOSE:
        return
    ticket = row.ticket
    if ticket is not None:
        from xuala.desk.events import event_record  # desk builds on notify

        event_record(ticket=ticket, key="mail.failed", at=at, outbound=row.pk,
                     purpose=row.purpose, to=row.to[:200], error=error[:500],
                     permanent=permanent)
    about = f"[{ticket.reference}] " if ticket is not None else ""
    to = (ticket.assignee.email if ticket is not None and ticket.assignee_id
          else settings.XUALA_AGENTS_EMAIL)
    email_enqueue(
        to=to, subject=f"{about}A message could not be sent ({row.purpose})",
        body_text=(f"The desk gave up sending message {row.pk} ({row.purpose}) to {row.to!r}"
                   f"{' for ' + ticket.reference if ticket is not None else ''}.\n\n"
                   f"Reason: {error}\n\n"
                   + ("Retrying cannot help: the message itself is refused. "
                      if permanent else f"It failed {row.attempts} times. ")
                   + "Reach the client another way or correct the address."),
        purpose=GAVE_UP_PURPOSE, auto_submitted=True)


def _send(row: OutboundEmail, connection) -> None:
    headers = {"Message-ID": row.message_id}
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
    if row.references:
        headers["References"] = row.references
    if row.auto_submitted:
        headers["Auto-Submitted"] = "auto-replied"
    message = EmailMultiAlternatives(
        subject=row.subject, body=row.body_text, from_email=sender(),
        to=[row.to], headers=headers, connection=connection,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    for item in row.attachments:
        message.attach(_attachment_part(item))
    with transaction.atomic():
        message.send()


def _attachment_part(item: dict) -> MIMENonMultipart:
    """A stored attachment as a MIME part, its content type's parameters intact."""
    maintype, _, rest = item["content_type"].partition("/")
    subtype, *params = (p.strip() for p in rest.split(";"))
    pairs = (p.split("=", 1) for p in params if "=" in p)
    part = MIMENonMultipart(maintype, subtype,
                            **{k.strip(): v.strip().strip('"') for k, v in pairs})
    part.set_payload(base64.b64decode(item["content"]))
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=item["filename"])
    return part
