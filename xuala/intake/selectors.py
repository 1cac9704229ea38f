"""Reads of the mail intake: threading look-ups, the auto-answer limit, held messages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet

from xuala.customers.models import Customer
from xuala.desk.models import Message, Ticket
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.parse import parse_message
from xuala.notify.models import OutboundEmail

TICKET_TOKEN_RE = re.compile(r"\[#(\d{1,18})\]")


def ticket_by_message_ids(*, message_ids: Sequence[str], customer: Customer) -> Ticket | None:
    """The customer's ticket that one of ``message_ids`` belongs to (earliest id in the list
    wins), looking at the mail the desk wrote and the messages it stored."""
    ids = [mid for mid in dict.fromkeys(message_ids) if mid]
    if not ids:
        return None
    found: dict[str, int] = {}
    for mid, ticket_id in (OutboundEmail.objects
                           .filter(message_id__in=ids, ticket__customer=customer)
                           .values_list("message_id", "ticket_id")):
        found.setdefault(mid, ticket_id)
    for mid, ticket_id in (Message.objects.filter(message_id__in=ids, ticket__customer=customer)
                           .values_list("message_id", "ticket_id")):
        found.setdefault(mid, ticket_id)
    for mid in ids:
        if mid in found:
            return Ticket.objects.get(pk=found[mid])
    return None


def ticket_by_subject_token(*, subject: str, customer: Customer) -> Ticket | None:
    """The ticket named by a ``[#123]`` token in the subject, if it is the customer's own."""
    for match in TICKET_TOKEN_RE.finditer(subject or ""):
        ticket = Ticket.objects.filter(pk=int(match[1]), customer=customer).first()
        if ticket is not None:
            return ticket
    return None


def mail_by_message_ids(*, message_ids: Sequence[str]) -> tuple[OutboundEmail | None,
                                                                 Ticket | None]:
    """What a bounce refers to: one of our outbound mails and/or the ticket it belongs to."""
    ids = [mid for mid in dict.fromkeys(message_ids) if mid]
    if not ids:
        return None, None
    outbound = (OutboundEmail.objects.filter(message_id__in=ids).select_related("ticket")
                .order_by("-created_at").first())
    if outbound is not None:
        return outbound, outbound.ticket
    message = (Message.objects.filter(message_id__in=ids).select_related("ticket")
               .order_by("-created_at").first())
    return None, message.ticket if message else None


def auto_answer_sent_since(*, address: str, since: datetime) -> bool:
    """Whether the desk sent ``address`` any automatic mail (answers, acknowledgements)."""
    return OutboundEmail.objects.filter(to__iexact=address.strip(), auto_submitted=True,
                                        created_at__gte=since).exists()


def inbound_held() -> QuerySet[InboundMessage]:
    """Messages waiting for an agent or for their sender's confirmation, newest first."""
    return (InboundMessage.objects.filter(status=InboundStatus.HELD).defer("raw")
            .select_related("ticket", "claimed_user").order_by("-received_at", "-id"))


def inbound_awaiting_confirmation(*, user) -> QuerySet[InboundMessage]:
    """The held messages that claim to come from ``user`` (for the client area)."""
    return (InboundMessage.objects.filter(status=InboundStatus.HELD, outcome="auth.held",
                                          claimed_user=user)
            .defer("raw").order_by("-received_at", "-id"))


def inbound_for_confirmation(*, token: str, user) -> InboundMessage | None:
    """The held message ``token`` names, only if it claims to come from ``user``."""
    if not token or not getattr(user, "is_authenticated", False):
        return None
    return inbound_awaiting_confirmation(user=user).filter(confirm_token=token).first()


def inbound_preview(*, message: InboundMessage, limit: int = 2000) -> str:
    """The new text of a stored message, to show its sender or an agent (plain text)."""
    try:
        parsed = parse_message(message.raw_bytes(),
                               max_attachment_bytes=settings.XUALA_MAX_ATTACHMENT_BYTES)
    except Exception:  # UnparseableMail, or anything a hostile message provokes
        # Nothing to show is better than a failing page: the raw stays for the agents.
        return ""
    return (parsed.new_text.strip() or parsed.text.strip())[:limit]
