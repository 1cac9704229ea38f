"""Reads of the mail intake: threading look-ups, the auto-answer limit, held messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from xuala.customers.models import Customer
from xuala.desk.models import Message, Ticket
from xuala.intake.models import InboundMessage, InboundStatus
from xuala.intake.parse import parse_message
from xuala.notify.models import OutboundEmail

TICKET_TOKEN_RE = re.compile(r"\[#(\d{1,18})\]")
CONFIRM_PURPOSE = "intake.confirm_sender"  # the outbound mail asking to confirm held mail


def ticket_by_message_ids(*, message_ids: Sequence[str], customer: Customer) -> Ticket | None:
    """The customer's ticket that one of ``message_ids`` belongs to (earliest id in the list
    wins), looking at the mail the desk wrote and the messages it stored."""
    ticket_id = thread_pick(thread_index(message_ids=message_ids), message_ids=message_ids,
                            customer_id=customer.pk)
    return Ticket.objects.get(pk=ticket_id) if ticket_id is not None else None


def thread_index(*, message_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    """For each of ``message_ids`` the desk knows: (ticket id, customer id) of the mail it
    wrote with that id, then of the messages it stored with it; two queries for any number."""
    ids = [mid for mid in dict.fromkeys(message_ids) if mid]
    found: dict[str, list[tuple[int, int]]] = {}
    if not ids:
        return found
    # One plain statement for both (the mail intake asks this for every batch).
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(ids))
    tickets = q(Ticket._meta.db_table)
    sql = " UNION ALL ".join(
        f"SELECT {rank} AS r, m.message_id, m.ticket_id, t.customer_id "  # noqa: S608
        f"FROM {q(model._meta.db_table)} m JOIN {tickets} t ON t.id = m.ticket_id "
        f"WHERE m.message_id IN ({marks})"
        for rank, model in ((0, OutboundEmail), (1, Message)))
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ORDER BY 1", [*ids, *ids])
        for _, mid, ticket_id, customer_id in cursor.fetchall():
            found.setdefault(mid, []).append((ticket_id, customer_id))
    return found


def tickets_for_threading(*, ids: Iterable[int]) -> dict[int, Ticket]:
    """The tickets ``ids`` with what threading decides on (status, resolution, customer),
    by id, in one plain statement; the other fields load if asked for."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    names = ["id", "customer_id", "status", "resolved_at"]
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(q(n) for n in names)} "  # noqa: S608
                       f"FROM {q(Ticket._meta.db_table)} "
                       f"WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        rows = cursor.fetchall()
    # The backend's converters, as the ORM applies them (SQLite returns text for datetimes).
    columns = [Ticket._meta.get_field(n).get_col(Ticket._meta.db_table) for n in names]
    converters = [(column, [*connection.ops.get_db_converters(column),
                            *column.field.get_db_converters(connection)]) for column in columns]
    tickets = {}
    for row in rows:
        values = []
        for (column, convert), value in zip(converters, row, strict=True):
            for converter in convert:
                value = converter(value, column, connection)
            values.append(value)
        ticket = Ticket.from_db(connection.alias, [c.target.attname for c in columns], values)
        tickets[ticket.pk] = ticket
    return tickets


def thread_pick(index: dict[str, list[tuple[int, int]]], *, message_ids: Sequence[str],
                customer_id: int) -> int | None:
    """The ticket of ``customer_id`` the first of ``message_ids`` in ``index`` belongs to."""
    for mid in dict.fromkeys(message_ids):
        for ticket_id, owner in index.get(mid, ()):
            if owner == customer_id:
                return ticket_id
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


def confirm_requests_since(*, address: str, since: datetime) -> int:
    """How many requests to confirm held mail the desk sent ``address`` since ``since``."""
    return OutboundEmail.objects.filter(to__iexact=address.strip(),
                                        purpose=CONFIRM_PURPOSE,
                                        created_at__gte=since).count()


def inbound_held_asked_in_thread(*, user, message_ids: Sequence[str],
                                 exclude: int | None = None) -> bool:
    """Whether a message of this thread (one of ``message_ids``) claiming to come from
    ``user`` waits for their confirmation, and they were asked for it."""
    ids = [mid for mid in dict.fromkeys(message_ids) if mid]
    if not ids:
        return False
    return (InboundMessage.objects
            .filter(status=InboundStatus.HELD, outcome="auth.held", claimed_user=user,
                    message_id__in=ids, detail__asked=True)
            .exclude(pk=exclude).exists())


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
