"""Messages on tickets: what agents, clients and the desk itself write, their files and mail.

The first public answer of an agent stops the response clock (``first_response_mark``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from xuala.core.files import safe_filename
from xuala.core.html import sanitize_html, text_to_html
from xuala.customers.models import Customer
from xuala.desk.clocks import refresh_queue_fields
from xuala.desk.errors import AttachmentRejected
from xuala.desk.events import event_record
from xuala.desk.models import Attachment, Channel, Message, MessageKind, Status, Ticket
from xuala.desk.statuses import ticket_set_status
from xuala.notify.services import email_enqueue


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def uploads_check(uploads: Sequence[Upload], *, customer: Customer | None = None,
                   channel: str = "") -> None:
    limit = settings.XUALA_MAX_ATTACHMENT_BYTES
    if len(uploads) > settings.XUALA_MAX_ATTACHMENTS:
        raise AttachmentRejected(f"at most {settings.XUALA_MAX_ATTACHMENTS} attachments",
                                 code="too_many")
    for upload in uploads:
        if len(upload.content) > limit:
            raise AttachmentRejected(
                f"{upload.filename!r} is {len(upload.content)} bytes; the limit is {limit}",
                code="too_large")
    quota = settings.XUALA_ATTACHMENT_QUOTA_BYTES
    # Mail is not refused for it: the mail door keeps the message and drops what it must.
    if quota and uploads and customer is not None and channel != Channel.EMAIL:
        stored = customer_attachment_bytes(customer=customer)
        adding = sum(len(u.content) for u in uploads)
        if stored + adding > quota:
            raise AttachmentRejected(
                f"the customer's attachments would take {stored + adding} bytes; "
                f"the quota is {quota}", code="quota")


def customer_attachment_bytes(*, customer: Customer) -> int:
    """What the customer's tickets' attachments take in storage, in bytes."""
    return (Attachment.objects.filter(message__ticket__customer=customer)
            .aggregate(total=Sum("size"))["total"] or 0)


def message_build(*, ticket: Ticket, kind: str, author, body_text: str, body_html: str = "",
                   channel: str = Channel.PORTAL, message_id: str = "",
                   at: datetime | None = None) -> Message:
    return Message(
        ticket=ticket, kind=kind, author=author, body_text=body_text,
        body_html=sanitize_html(body_html) if body_html else text_to_html(body_text),
        channel=channel, message_id=message_id, created_at=at or timezone.now(),
    )


def attachments_save(message: Message, uploads: Sequence[Upload]) -> None:
    for upload in uploads:
        name = safe_filename(upload.filename)
        attachment = Attachment(message=message, filename=name, size=len(upload.content),
                                content_type=upload.content_type[:100])
        attachment.file.save(name, ContentFile(upload.content), save=True)


def message_add(*, ticket: Ticket, kind: str, author, body_text: str, body_html: str = "",
                 channel: str = Channel.PORTAL, uploads: Sequence[Upload] = (),
                 message_id: str = "", at: datetime | None = None) -> Message:
    uploads_check(uploads, customer=ticket.customer, channel=channel)
    message = message_build(ticket=ticket, kind=kind, author=author, body_text=body_text,
                             body_html=body_html, channel=channel, message_id=message_id, at=at)
    message.save(force_insert=True)
    attachments_save(message, uploads)
    return message


def first_response_mark(ticket: Ticket, author, at: datetime) -> bool:
    """Stop the response clock at the first public answer; True if this was it."""
    if ticket.first_response_at is not None:
        return False
    ticket.first_response_at = at
    event_record(ticket=ticket, key="sla.first_response", actor=author, at=at,
                 within_target=bool(ticket.target_at and at <= ticket.target_at),
                 within_due=not (ticket.due_at is not None and at > ticket.due_at))
    return True


def public_answer_send(ticket: Ticket, text: str, *, author, kind: str, at: datetime) -> Message:
    message = message_add(ticket=ticket, kind=kind, author=author, body_text=text,
                           channel=Channel.AGENT if author else Channel.PORTAL, at=at)
    if author is not None and first_response_mark(ticket, author, at):
        ticket.save(update_fields=["first_response_at", "updated_at"])
    message_mail(ticket, message)
    return message


def message_mail(ticket: Ticket, message: Message) -> None:
    if ticket.contact is None:
        return
    outbound = email_enqueue(
        to=ticket.contact.email, subject=f"[{ticket.reference}] {ticket.subject}",
        body_text=message.body_text, body_html=message.body_html, purpose="ticket.reply",
        ticket=ticket, auto_submitted=message.kind == MessageKind.AUTO)
    Message.objects.filter(pk=message.pk).update(message_id=outbound.message_id)


def ticket_reply(*, ticket: Ticket, author, body_text: str, body_html: str = "",
                 uploads: Sequence[Upload] = (), status: str | None = Status.WAITING_CLIENT,
                 at: datetime | None = None, reason: str = "") -> Message:
    """An agent's public answer; the first one stops the response clock."""
    at = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = message_add(ticket=ticket, kind=MessageKind.REPLY, author=author,
                               body_text=body_text, body_html=body_html, uploads=uploads,
                               channel=Channel.AGENT, at=at)
        event_record(ticket=ticket, key="ticket.replied", actor=author, at=at,
                     message=message.pk)
        first_response_mark(ticket, author, at)
        if ticket.assignee_id is None and getattr(author, "is_agent", False):
            ticket.assignee = author
        refresh_queue_fields(ticket)
        ticket.save()
        message_mail(ticket, message)
        if status and status != ticket.status:
            ticket_set_status(ticket=ticket, status=status, actor=author, at=at,
                              reason=reason)
    return message


def ticket_note(*, ticket: Ticket, author, body_text: str,
                uploads: Sequence[Upload] = ()) -> Message:
    with transaction.atomic():
        message = message_add(ticket=ticket, kind=MessageKind.NOTE, author=author,
                               body_text=body_text, uploads=uploads, channel=Channel.AGENT)
        event_record(ticket=ticket, key="ticket.noted", actor=author, message=message.pk)
    return message


def ticket_system_message(*, ticket: Ticket, body_text: str, channel: str,
                          key: str, at: datetime | None = None, **data) -> Message:
    """The desk itself writes to the client on a ticket (no author), and mails it."""
    at = at or timezone.now()
    with transaction.atomic():
        message = message_add(ticket=ticket, kind=MessageKind.AUTO, author=None,
                               body_text=body_text, channel=channel, at=at)
        message_mail(ticket, message)
        event_record(ticket=ticket, key=key, at=at, message=message.pk, **data)
    return message


def ticket_client_message(*, ticket: Ticket, author, body_text: str, body_html: str = "",
                          uploads: Sequence[Upload] = (), channel: str = Channel.PORTAL,
                          message_id: str = "", at: datetime | None = None) -> Message:
    """The client writes on its ticket: a ticket waiting on the client, or done, reopens."""
    at = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = message_add(ticket=ticket, kind=MessageKind.CLIENT, author=author,
                               body_text=body_text, body_html=body_html, uploads=uploads,
                               channel=channel, message_id=message_id, at=at)
        event_record(ticket=ticket, key="ticket.client_message", actor=author, at=at,
                     message=message.pk)
        if ticket.status in (Status.WAITING_CLIENT, Status.RESOLVED, Status.CLOSED):
            ticket_set_status(ticket=ticket, status=Status.OPEN, actor=author, at=at)
    return message
