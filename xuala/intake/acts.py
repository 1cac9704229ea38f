"""The door's acts: what a decided message does (a ticket, a reply, an answer, a request).

Each act is run by the engine inside the transaction that also marks the message's row
done, on condition that the engine's claim still holds; so an act is written once or not
at all (a rollback undoes it with the mark). An act may note in ``plan.detail`` what it did
(``answered``, ``asked``), which is stored with the row.

Automatic answers follow RFC 3834: never to our own domains, and at most one per sender
per ``autoreply_period()``; inside a group the addresses answered but not written yet are
in ``mail.reads.answered``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xuala.desk.errors import CoverageRefused
from xuala.desk.models import Channel, Ticket
from xuala.desk.services import (
    OpenReads,
    OpenRequest,
    PreparedOpen,
    Upload,
    event_record,
    request_text,
    ticket_client_message,
    ticket_open_prepare,
    tickets_open_write,
)
from xuala.intake import selectors, texts
from xuala.notify.models import OutboundEmail
from xuala.notify.services import email_enqueue

if TYPE_CHECKING:
    from xuala.intake.door import Mail, Plan

# Requests to confirm held mail sent to one address in an hour, at most (a flood guard:
# the limit that matters is one per held message or thread, see confirmation_not_wanted).
CONFIRM_REQUESTS_PER_HOUR = 10


def autoreply_period() -> timedelta:
    """At most one automatic answer per sender per this period (RFC 3834)."""
    return timedelta(minutes=settings.XUALA_AUTOREPLY_PERIOD_MINUTES)


def bounce_record(plan: Plan, *, mail: Mail, outbound: OutboundEmail | None,
                  ticket: Ticket | None, key: str, detail: dict) -> Ticket | None:
    """A delivery-status notification noted on the mail and the ticket it is about."""
    dsn = mail.parsed.dsn
    if outbound is not None and key == "mail.bounced":
        OutboundEmail.objects.filter(pk=outbound.pk).update(
            last_error=f"bounced: {dsn.status or ''} {dsn.diagnostic or ''}".strip()[:2000])
    if ticket is not None:
        event_record(ticket=ticket, key=key, inbound=mail.row.pk,
                     outbound=outbound.pk if outbound else None, **detail)
    return ticket


def wrong_channel_answer(plan: Plan, *, mail: Mail, to_address: str) -> None:
    """§3: tell the sender where support mail goes."""
    subject, body = texts.wrong_channel_answer(
        loaded=mail.loaded, original_subject=mail.parsed.subject, to_address=to_address)
    plan.detail["answered"] = auto_answer(mail, purpose="intake.wrong_channel",
                                          subject=subject, body=body)


def not_client_answer(plan: Plan, *, mail: Mail) -> None:
    """§6: tell a sender who is not a client (or has no cover) how to become one."""
    subject, body = texts.not_client_answer(loaded=mail.loaded,
                                            original_subject=mail.parsed.subject)
    plan.detail["answered"] = auto_answer(mail, purpose="intake.not_client",
                                          subject=subject, body=body)


def confirmation_ask(plan: Plan, *, mail: Mail, user, token: str) -> None:
    """Ask the client a held message claims to come from to confirm it (if wanted)."""
    not_asked = confirmation_not_wanted(mail, user)
    plan.detail["asked"] = not_asked is None
    if not_asked is not None:
        plan.detail["not_asked"] = not_asked
        return
    subject, body = texts.confirm_request(
        loaded=mail.loaded, language=user.language, address=user.email,
        original_subject=mail.parsed.subject, token=token)
    email_enqueue(to=user.email.strip(), subject=subject, body_text=body,
                  purpose=selectors.CONFIRM_PURPOSE, auto_submitted=True,
                  in_reply_to=mail.parsed.message_id or "",
                  references=mail.parsed.message_id or "")


def confirmation_not_wanted(mail: Mail, user) -> str | None:
    """Why a held message's sender is not asked to confirm it (None: ask them).

    The request has its own limit, apart from the automatic answers of RFC 3834 (an
    acknowledgement minutes before must not silence it): one per held message, none when a
    message of the same thread already waits with a request sent, and at most
    CONFIRM_REQUESTS_PER_HOUR to one address, so that forged mail cannot flood a client.
    The client area lists every message waiting, asked or not.
    """
    address = (user.email or "").strip()
    if "@" not in address or mail.in_company_domain(address):
        return "no_address"
    thread = [mail.parsed.message_id or "", mail.row.message_id, *mail.thread_ids]
    if selectors.inbound_held_asked_in_thread(user=user, message_ids=thread,
                                              exclude=mail.row.pk):
        return "thread_asked"
    # Requests are written at once (a group's too), so this count includes the group's own.
    since = timezone.now() - timedelta(hours=1)
    if selectors.confirm_requests_since(address=address, since=since) \
            >= CONFIRM_REQUESTS_PER_HOUR:
        return "flood_limit"
    return None


def ticket_reply(plan: Plan, *, mail: Mail, ticket: Ticket) -> Ticket:
    """The message added to the ticket it answers (which reopens a resolved one)."""
    body_text, body_html = _body(mail)
    uploads = _uploads(mail)
    ticket_client_message(ticket=ticket, author=mail.contact.user, body_text=body_text,
                          body_html=body_html, uploads=uploads, channel=Channel.EMAIL,
                          message_id=mail.parsed.message_id or "", at=mail.row.received_at)
    dropped_record(mail, ticket, uploads)
    return ticket


def linked_open(plan: Plan, *, mail: Mail, old: Ticket) -> Ticket | None:
    """A reply to a ticket closed too long ago: a new ticket, linked both ways to the old."""
    prepared = open_prepare(mail, plan, reads=None)
    if prepared is None:
        return None
    request, uploads = prepared
    new = tickets_open_write([request])[0].ticket
    dropped_record(mail, new, uploads)
    event_record(ticket=new, key="ticket.linked", other=old.pk,
                 other_reference=old.reference, relation="follows")
    event_record(ticket=old, key="ticket.linked", other=new.pk,
                 other_reference=new.reference, relation="followed_by")
    return new


def open_text(mail: Mail) -> str:
    """What the desk's triage will read of ``mail`` (for a group's prefetch)."""
    return request_text(_subject(mail), _body(mail)[0])


def open_prepare(mail: Mail, plan: Plan, *, reads: OpenReads | None
                 ) -> tuple[PreparedOpen, list[Upload]] | None:
    """The new ticket of ``mail``, prepared by the desk's triage (not written yet: the
    engine writes a group's new tickets together); None, and the §6 answer, without cover."""
    contact = mail.contact
    body_text, body_html = _body(mail)
    uploads = _uploads(mail)
    try:
        prepared = ticket_open_prepare(OpenRequest(
            customer=contact.customer, contact=contact.user, channel=Channel.EMAIL,
            subject=_subject(mail), body_text=body_text, body_html=body_html, uploads=uploads,
            message_id=mail.parsed.message_id or "", received_at=mail.row.received_at),
            reads=reads)
    except CoverageRefused:
        plan.outcome = "door.not_client"
        plan.detail["reason"] = "no_active_service"
        not_client_answer(plan, mail=mail)
        return None
    return prepared, uploads


def _subject(mail: Mail) -> str:
    subject = " ".join(mail.parsed.subject.split())
    if subject:
        return subject[:250]
    first_line = next((line.strip() for line in mail.parsed.text.splitlines() if line.strip()),
                      "")
    if first_line:
        return first_line[:80]
    with translation.override(_contact_language(mail)):
        return _("(no subject)")


def _contact_language(mail: Mail) -> str:
    return getattr(mail.contact.user, "language", None) or mail.contact.customer.language


def _body(mail: Mail) -> tuple[str, str]:
    parsed = mail.parsed
    text = parsed.new_text.strip() or parsed.text.strip()
    if text:
        return text, ""
    if parsed.html.strip():
        return "", parsed.html
    with translation.override(_contact_language(mail)):
        return _("(The message has no text.)"), ""


def _uploads(mail: Mail) -> list[Upload]:
    limit = settings.XUALA_MAX_ATTACHMENT_BYTES
    fitting = [a for a in mail.parsed.attachments if 0 < len(a.content) <= limit]
    return [Upload(filename=a.filename, content=a.content, content_type=a.content_type)
            for a in fitting[: settings.XUALA_MAX_ATTACHMENTS]]


def dropped_record(mail: Mail, ticket: Ticket, uploads: Sequence[Upload]) -> None:
    """An event on the ticket naming the attachments that were not kept (too large, too many)."""
    kept = {u.filename for u in uploads}
    dropped = [*mail.parsed.oversized_attachments,
               *(a.filename for a in mail.parsed.attachments if a.filename not in kept)]
    if dropped:
        event_record(ticket=ticket, key="mail.attachments_dropped", names=dropped[:50],
                     inbound=mail.row.pk)


def auto_answer(mail: Mail, *, purpose: str, subject: str, body: str) -> bool:
    """Send an automatic answer unless the sender had one within the period (RFC 3834)."""
    to = mail.answer_address.strip()
    if not to or "@" not in to or mail.in_company_domain(to):
        return False
    if to.lower() in mail.reads.answered:
        return False  # acknowledged by this group, not written yet
    if selectors.auto_answer_sent_since(address=to, since=timezone.now() - autoreply_period()):
        return False
    message_id = mail.parsed.message_id or ""
    email_enqueue(to=to, subject=subject, body_text=body, purpose=purpose, auto_submitted=True,
                  in_reply_to=message_id, references=message_id)
    return True
