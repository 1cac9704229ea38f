"""The door's rules: what to do with a parsed message, decided by reading only.

``decide`` asks the rules in order and the first that applies wins: a delivery-status
notification, a loop (RFC 3834), mail from our own addresses, no sender, mail to a wrong
address of the company (§3), a stranger (§6), an unauthenticated sender, a reply to a
ticket, else a new ticket. A rule writes nothing: it returns a ``Plan`` (the outcome, the
row's status, and the act to run, from ``acts``), so that the engine can run the act and
mark the row done in one transaction; deciding twice (after a rollback) is harmless.

What the rules read (contacts, threads, the policy) comes through ``Reads``, read once for
the messages decided together; a message alone is a group of one with its own ``Reads``.
Threads and tickets are read again for each group, because the group before may have
written what the next one refers to.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, partial

from django.conf import settings

from xuala.customers.models import Contact
from xuala.customers.selectors import contact_for_email, contacts_for_emails
from xuala.desk.models import DONE_STATUSES, Ticket
from xuala.desk.services import OpenReads
from xuala.intake import acts, selectors
from xuala.intake.auth import AuthVerdict, verify_sender
from xuala.intake.models import InboundMessage, InboundPath, InboundStatus
from xuala.intake.parse import ParsedMail
from xuala.policy.loader import LoadedPolicy
from xuala.policy.selectors import policy_active

LOOP_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def reopen_window() -> timedelta:
    """How long after its resolution a reply still reopens a ticket (XUALA_REOPEN_DAYS)."""
    return timedelta(days=settings.XUALA_REOPEN_DAYS)


@dataclass
class Plan:
    """What to do with a message: an outcome, the row's status, and the act to run."""

    outcome: str
    status: str = InboundStatus.PROCESSED
    act: Callable[[Plan], Ticket | None] | None = None
    detail: dict = field(default_factory=dict)
    row_fields: dict = field(default_factory=dict)
    # A new ticket: the engine prepares it in order and writes it with the group's others.
    opens: bool = False


class Reads:
    """What the messages of one group read once: contacts, threads, the policy.

    ``answered`` holds the addresses acknowledged or answered by this group but not written
    yet, so that RFC 3834's one answer per period holds inside a group as across groups.
    """

    def __init__(self) -> None:
        self.opening = OpenReads()
        self.loaded = policy_active()
        self.contacts: dict[str, Contact | None] = {}
        self.threads: dict[str, list[tuple[int, int]]] = {}
        self.tickets: dict[int, Ticket] = {}
        self.answered: set[str] = set()

    def prefetch(self, mails: list[Mail]) -> None:
        addresses = {m.parsed.from_address.strip().lower() for m in mails
                     if m.parsed.from_address} - self.contacts.keys()
        if addresses:
            found = contacts_for_emails(emails=addresses)
            for address in addresses:
                self.contacts[address] = found.get(address)
        # Threads and tickets are read again for each group: the last one may have written.
        self.threads = selectors.thread_index(
            message_ids=[i for m in mails for i in m.thread_ids])
        self.tickets = selectors.tickets_for_threading(
            ids={ticket_id for found in self.threads.values() for ticket_id, _ in found})

    def contact(self, address: str) -> Contact | None:
        key = address.strip().lower()
        if key not in self.contacts:
            self.contacts[key] = contact_for_email(address)
        return self.contacts[key]

    def ticket_by_message_ids(self, message_ids: Sequence[str], customer) -> Ticket | None:
        ticket_id = selectors.thread_pick(self.threads, message_ids=message_ids,
                                          customer_id=customer.pk)
        if ticket_id is None:
            return None
        if ticket_id not in self.tickets:
            self.tickets[ticket_id] = Ticket.objects.get(pk=ticket_id)
        return self.tickets[ticket_id]


@dataclass
class Mail:
    """One message being decided on, with what the rules ask about it."""

    row: InboundMessage
    raw: bytes
    parsed: ParsedMail
    reads: Reads
    verdict: AuthVerdict | None = None
    target_ticket_id: int | None = None  # the existing ticket this message acts on

    @property
    def loaded(self) -> LoadedPolicy:
        return self.reads.loaded

    @cached_property
    def support_address(self) -> str:
        return self.loaded.policy.channels.support_address.lower()

    @cached_property
    def company_domains(self) -> frozenset[str]:
        return frozenset(d.lower() for d in self.loaded.policy.channels.company_domains)

    def in_company_domain(self, address: str) -> bool:
        return _domain(address) in self.company_domains

    @cached_property
    def recipients(self) -> list[str]:
        """Where it was sent: the SMTP/LMTP envelope, else Delivered-To, else To and Cc."""
        envelope = [a.strip().lower() for a in self.row.envelope_to if a.strip()]
        if envelope:
            return envelope
        parsed = self.parsed
        return [a.lower() for a in (parsed.delivered_to or [*parsed.to, *parsed.cc]) if a]

    @cached_property
    def contact(self) -> Contact | None:
        address = self.parsed.from_address
        return self.reads.contact(address) if address else None

    @cached_property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this message answers, the nearest first."""
        return [*self.parsed.in_reply_to, *reversed(self.parsed.references)]

    def ticket_by_message_ids(self, customer) -> Ticket | None:
        return self.reads.ticket_by_message_ids(self.thread_ids, customer)

    @cached_property
    def answer_address(self) -> str:
        """Where an automatic answer goes: the envelope sender (RFC 3834), else From."""
        return (self.row.envelope_from or self.parsed.from_address or "").strip()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower() if "@" in address else ""


def decide(mail: Mail) -> Plan:
    """The plan of the first rule that applies to ``mail``; reads, never writes."""
    for rule in (_bounce, _loop, _own_address, _no_sender, _wrong_channel, _not_client,
                 _unauthenticated, _thread_reply):
        plan = rule(mail)
        if plan is not None:
            return plan
    return Plan("ticket.opened", opens=True)


def _bounce(mail: Mail) -> Plan | None:
    """A delivery-status notification: recorded on the ticket of the mail it is about."""
    dsn = mail.parsed.dsn
    if dsn is None:
        return None
    ids = [dsn.original_message_id or "", *mail.parsed.in_reply_to,
           *reversed(mail.parsed.references)]
    outbound, ticket = selectors.mail_by_message_ids(message_ids=ids)
    detail = {"action": dsn.action, "status": dsn.status, "recipient": dsn.final_recipient,
              "diagnostic": (dsn.diagnostic or "")[:500],
              "original_message_id": dsn.original_message_id}
    if outbound is None and ticket is None:
        return Plan("dsn.unmatched", InboundStatus.IGNORED, detail=detail)
    action = (dsn.action or "failed").lower()
    key = {"failed": "mail.bounced", "delayed": "mail.delayed"}.get(action, "mail.dsn")
    return Plan("dsn.recorded", detail={**detail, "event": key},
                act=partial(acts.bounce_record, mail=mail, outbound=outbound, ticket=ticket,
                            key=key, detail=detail))


def _loop(mail: Mail) -> Plan | None:
    """RFC 3834: never answer automatic mail, lists, bulk or mailer-daemons."""
    parsed = mail.parsed
    auto = (parsed.auto_submitted or "").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        reason = "auto_submitted"
    elif (parsed.precedence or "").strip().lower() in LOOP_PRECEDENCE:
        reason = "precedence"
    elif parsed.is_auto_reply:
        reason = "auto_reply"
    elif parsed.is_from_mailer_daemon:
        reason = "mailer_daemon"
    elif mail.row.path in (InboundPath.SMTP, InboundPath.LMTP) and not mail.row.envelope_from:
        reason = "null_sender"
    else:
        return None
    return Plan("loop.ignored", InboundStatus.IGNORED, detail={"reason": reason})


def _own_address(mail: Mail) -> Plan | None:
    """Mail from the desk's own addresses or domains is never answered."""
    sender = mail.parsed.from_address
    own = {mail.support_address, _address_of(settings.DEFAULT_FROM_EMAIL)}
    if sender and (sender in own or mail.in_company_domain(sender)):
        return Plan("loop.own_domain", InboundStatus.IGNORED)
    return None


def _address_of(value: str) -> str:
    match = re.search(r"<([^<>]+)>", value)
    return (match[1] if match else value).strip().lower()


def _no_sender(mail: Mail) -> Plan | None:
    if mail.parsed.from_address and "@" in mail.parsed.from_address:
        return None
    return Plan("parse.no_sender", InboundStatus.HELD)


def _wrong_channel(mail: Mail) -> Plan | None:
    """§3: sent to an address of the company that is not the support address."""
    recipients = mail.recipients
    if mail.support_address in recipients:
        return None
    ours = [address for address in recipients if mail.in_company_domain(address)]
    if not ours:
        return None  # Bcc, or a mailbox that is the support address: treat as support
    return Plan("door.wrong_channel", detail={"to": ours[0]},
                act=partial(acts.wrong_channel_answer, mail=mail, to_address=ours[0]))


def _not_client(mail: Mail) -> Plan | None:
    """§6: the sender is not a contact of any customer."""
    if mail.contact is not None:
        return None
    return Plan("door.not_client", act=partial(acts.not_client_answer, mail=mail))


def _unauthenticated(mail: Mail) -> Plan | None:
    """A message claiming a client's address must prove it, or it does not act as them."""
    if settings.XUALA_MAIL_AUTH == "off" or mail.row.sender_confirmed_at is not None:
        return None
    row = mail.row
    mail.verdict = verify_sender(mail.raw, mail.parsed, client_ip=row.client_ip,
                                 helo=row.helo or None, mail_from=row.envelope_from or None)
    auth = {"method": mail.verdict.method, **{k: str(v) for k, v in mail.verdict.details.items()}}
    if mail.verdict.authenticated:
        return None
    user = mail.contact.user
    token = secrets.token_urlsafe(24)
    return Plan("auth.held", InboundStatus.HELD, detail={"auth": auth},
                act=partial(acts.confirmation_ask, mail=mail, user=user, token=token),
                row_fields={"claimed_user": user, "confirm_token": token})


def _thread_reply(mail: Mail) -> Plan | None:
    """A reply to one of the customer's tickets: by Message-ID first, then by [#id]."""
    customer = mail.contact.customer
    parsed = mail.parsed
    ticket = mail.ticket_by_message_ids(customer)
    how = "message_id"
    if ticket is None:
        ticket = selectors.ticket_by_subject_token(subject=parsed.subject, customer=customer)
        how = "subject_token"
    if ticket is None:
        return None
    mail.target_ticket_id = ticket.pk
    window_ends = ticket.resolved_at + reopen_window() if ticket.resolved_at else None
    if ticket.status in DONE_STATUSES and window_ends and mail.row.received_at > window_ends:
        return Plan("ticket.linked", act=partial(acts.linked_open, mail=mail, old=ticket),
                    detail={"follows": ticket.pk, "threaded_by": how})
    return Plan("ticket.replied", act=partial(acts.ticket_reply, mail=mail, ticket=ticket),
                detail={"threaded_by": how, "reopened": ticket.status in DONE_STATUSES})
