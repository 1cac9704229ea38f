"""Opening tickets: a client's request checked, triaged, clocked and written, one or many.

``ticket_open`` opens one; the mail intake's batches call its two steps themselves
(``ticket_open_prepare`` for each request, then ``tickets_open_write`` for all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from xuala.core.text import one_line
from xuala.customers.models import Customer, Service, Site
from xuala.customers.selectors import Coverage, customer_coverage, customers_coverage
from xuala.desk import texts
from xuala.desk.bulk import insert_rows
from xuala.desk.clocks import policy_of_version, refresh_queue_fields
from xuala.desk.decisions import decision_apply
from xuala.desk.errors import ChannelRefused, CoverageRefused, InvalidTransition
from xuala.desk.messages import Upload, attachments_save, message_build, uploads_check
from xuala.desk.models import (
    Channel,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketEvent,
    TriageState,
)
from xuala.desk.triage import Facts, Triage, plan_extras, triage, triage_prefetch
from xuala.notify.models import OutboundEmail
from xuala.notify.services import email_build
from xuala.policy.loader import LoadedPolicy
from xuala.policy.models import PolicyVersion
from xuala.policy.schema import Decision
from xuala.policy.selectors import channel_accepted, policy_active
from xuala.policy.services import policy_version_record


def client_channel_check(*, channel: str) -> None:
    """§3: a client's request is attended only through a channel the policy accepts; raise
    ChannelRefused for any other (agents opening tickets for clients are not subject)."""
    if not channel_accepted(channel):
        raise ChannelRefused(f"the policy does not accept requests through {channel!r}",
                             clause=policy_active().policy.channels.clause,
                             code="channel_not_accepted")


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    triage: Triage
    out_of_hours_from: datetime | None  # when it will be attended, if it came in closed hours


@dataclass(frozen=True)
class OpenRequest:
    """What ``ticket_open`` is asked: a client's request (see its arguments)."""

    customer: Customer
    contact: object
    channel: str
    subject: str
    body_text: str
    body_html: str = ""
    category: str | None = None
    site: Site | None = None
    service: Service | None = None
    uploads: Sequence[Upload] = ()
    received_at: datetime | None = None
    message_id: str = ""
    ticket_class: str | None = None
    language: str | None = None
    by_system: bool = False  # written by the desk (Online Sentry), not by the contact


class OpenReads:
    """The reads behind opening tickets, made once for a group of requests.

    One policy version for the group (the policy in force when the group started) and the
    coverage of each customer on each day, read for several customers at once by
    ``prefetch``. A group opened in one transaction sees the same data throughout.
    """

    def __init__(self) -> None:
        self._version: PolicyVersion | None = None
        self._tz = None
        self._coverage: dict[tuple[int, date], Coverage] = {}

    def version(self) -> PolicyVersion:
        if self._version is None:
            self._version = _policy_version()
        return self._version

    def _day(self, received_at: datetime) -> date:
        if self._tz is None:
            self._tz = policy_of_version(self.version()).calendar.tz
        return received_at.astimezone(self._tz).date()

    def prefetch(self, requests: Sequence[tuple[Customer, datetime]], *,
                 texts: Sequence[str] = ()) -> None:
        """Read the coverage of these (customer, received at) in one go, and triage the
        requests' ``texts`` (``request_text`` of each) in one go."""
        triage_prefetch(policy_of_version(self.version()).policy, list(texts))
        by_day: dict[date, dict[int, Customer]] = {}
        for customer, received_at in requests:
            day = self._day(received_at)
            if (customer.pk, day) not in self._coverage:
                by_day.setdefault(day, {})[customer.pk] = customer
        for day, customers in by_day.items():
            for pk, coverage in customers_coverage(customers=list(customers.values()),
                                                   on=day).items():
                self._coverage[(pk, day)] = coverage

    def coverage(self, customer: Customer, received_at: datetime) -> Coverage:
        day = self._day(received_at)
        key = (customer.pk, day)
        if key not in self._coverage:
            self._coverage[key] = customer_coverage(customer=customer, on=day)
        return self._coverage[key]


_versions: dict[str, PolicyVersion] = {}


def _policy_version() -> PolicyVersion:
    """``policy_version_record()`` for the active policy, remembered by its digest.

    A version row never changes; the remembered one is only checked to still exist (a
    plain statement, not the ORM's get_or_create that reads the whole policy text).
    """
    loaded = policy_active()
    known = _versions.get(loaded.sha256)
    if known is not None:
        table = connection.ops.quote_name(PolicyVersion._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s AND sha256 = %s",  # noqa: S608
                           [known.pk, known.sha256])
            if cursor.fetchone() is not None:
                return known
    version = policy_version_record(loaded=loaded)
    _versions.clear()
    _versions[loaded.sha256] = version
    return version


def request_subject(subject: str) -> str:
    """A request's subject as its ticket keeps it: one line (it never breaks a mail header)."""
    return one_line(subject)[:250]


def request_text(subject: str, body_text: str) -> str:
    """What triage reads of a request (``Facts.text``)."""
    return f"{request_subject(subject)}\n{body_text}"


@dataclass
class PreparedOpen:
    """A request checked, triaged and clocked, its ticket built but not written yet."""

    request: OpenRequest
    ticket: Ticket
    triage: Triage
    loaded: LoadedPolicy
    out_of_hours_from: datetime | None


def ticket_open(
    *,
    customer: Customer,
    contact,
    channel: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    category: str | None = None,
    site: Site | None = None,
    service: Service | None = None,
    uploads: Sequence[Upload] = (),
    received_at: datetime | None = None,
    message_id: str = "",
    ticket_class: str | None = None,
    language: str | None = None,
    by_system: bool = False,
) -> Opened:
    """Open a ticket from a client's request, triaged and clocked by the active policy.

    Raises CoverageRefused, with no ticket written, when the customer has no active
    service (§6). Certain decisions (the form's category) are applied at once; a
    judgement on free text is stored as a proposal for the agent.

    The same two steps open many tickets at once (the mail intake's batches):
    ``ticket_open_prepare`` for each request, then ``tickets_open_write`` for all.
    """
    prepared = ticket_open_prepare(OpenRequest(
        customer=customer, contact=contact, channel=channel, subject=subject,
        body_text=body_text, body_html=body_html, category=category, site=site,
        service=service, uploads=uploads, received_at=received_at, message_id=message_id,
        ticket_class=ticket_class, language=language, by_system=by_system))
    with transaction.atomic():
        return tickets_open_write([prepared])[0]


def ticket_open_prepare(request: OpenRequest, *, reads: OpenReads | None = None) -> PreparedOpen:
    """Check, triage and clock one request, reading only; raises as ``ticket_open`` does."""
    reads = reads or OpenReads()
    customer, contact, site, service = (request.customer, request.contact, request.site,
                                        request.service)
    subject = request_subject(request.subject)
    if not subject or not (request.body_text or request.body_html).strip():
        raise InvalidTransition("a request needs a subject and a description", code="empty")
    uploads_check(request.uploads, customer=request.customer, channel=request.channel)
    if site is not None and site.customer_id != customer.pk:
        raise InvalidTransition("that site belongs to another customer", code="foreign_site")
    if service is not None and service.customer_id != customer.pk:
        raise InvalidTransition("that service belongs to another customer",
                                code="foreign_service")
    received_at = request.received_at or timezone.now()
    version = reads.version()
    loaded = policy_of_version(version)
    coverage = reads.coverage(customer, received_at)
    language = request.language or getattr(contact, "language", None) or customer.language
    decided = triage(loaded.policy, Facts(
        is_client=coverage.has_active_service,
        has_plan=coverage.covers_site(site.pk if site else None),
        extras=plan_extras(loaded.policy, coverage.plan_keys),
        category=request.category,
        text=request_text(subject, request.body_text),
        language=language,
    ))
    if decided.rule == "not_client":
        raise CoverageRefused(
            texts.policy_answer(decision=decided.decision, rule_key=decided.rule,
                                clause=decided.clause, loaded=loaded, language=language),
            clause=decided.clause, code="not_client")
    ticket = Ticket(
        customer=customer, contact=contact, channel=request.channel,
        category=request.category or "", subject=subject, site=site, service=service,
        language=language, ticket_class=request.ticket_class or decided.ticket_class,
        status=Status.NEW, policy_version=version, received_at=received_at,
        created_at=received_at, triage_rule=decided.rule, triage_decision=decided.decision,
        triage_clause=decided.clause,
        triage_state=TriageState.APPLIED if decided.certain else TriageState.PROPOSED,
    )
    refresh_queue_fields(ticket)  # clocks and queue columns before the INSERT
    calendar = loaded.calendar
    out_of_hours = None if calendar.is_open(received_at) else calendar.next_opening(received_at)
    return PreparedOpen(request=request, ticket=ticket, triage=decided, loaded=loaded,
                        out_of_hours_from=out_of_hours)


def tickets_open_write(prepared: Sequence[PreparedOpen]) -> list[Opened]:
    """Write prepared tickets with their first message, events and acknowledgement.

    Call inside a transaction. One INSERT per table for the whole group (tickets, messages,
    events, outbound mail); a certain decision other than plain cover is then applied
    ticket by ticket, before the acknowledgements that describe its result.
    """
    if not prepared:
        return []
    tickets = [p.ticket for p in prepared]
    insert_rows(tickets)
    firsts = [message_build(ticket=p.ticket,
                             kind=MessageKind.AUTO if p.request.by_system else MessageKind.CLIENT,
                             author=None if p.request.by_system else p.request.contact,
                             body_text=p.request.body_text, body_html=p.request.body_html,
                             channel=p.request.channel, message_id=p.request.message_id,
                             at=p.ticket.received_at) for p in prepared]
    insert_rows(firsts)
    events = []
    for p in prepared:
        ticket, decided, at = p.ticket, p.triage, p.ticket.received_at
        events += [
            TicketEvent(ticket=ticket, key="ticket.opened", at=at,
                        actor=None if p.request.by_system else p.request.contact,
                        data={"channel": p.request.channel,
                              **({"by_system": True} if p.request.by_system else {}),
                              "policy_version": ticket.policy_version_id,
                              "ticket_class": ticket.ticket_class}),
            TicketEvent(ticket=ticket, at=at,
                        key="triage.applied" if decided.certain else "triage.proposed",
                        data={"decision": decided.decision, "clause": decided.clause,
                              "rule": decided.rule, **decided.basis()}),
        ]
    insert_rows(events)
    for p, first in zip(prepared, firsts, strict=True):
        attachments_save(first, p.request.uploads)
        if p.triage.certain and p.triage.decision != Decision.COVERED:
            decision_apply(p.ticket, p.triage.decision, p.triage.rule, p.triage.clause,
                            actor=None, at=p.ticket.received_at)
        if (p.triage.decision == Decision.EMERGENCY  # §1: check the client's sites now
                and p.request.channel != Channel.SENTRY):
            from xuala.sentry.oneshot import emergency_verify_after_commit

            emergency_verify_after_commit(p.ticket.pk)
    acknowledged = [(p, first) for p, first in zip(prepared, firsts, strict=True)
                    if p.ticket.contact is not None]
    mails, events = [], []
    for p, first in acknowledged:
        mail, event = _acknowledgement(p.ticket, p.loaded, p.out_of_hours_from, first)
        mails.append(mail)
        events.append(event)
    insert_rows(mails)
    insert_rows(events)
    return [Opened(ticket=p.ticket, triage=p.triage, out_of_hours_from=p.out_of_hours_from)
            for p in prepared]


def _acknowledgement(ticket: Ticket, loaded, out_of_hours_from: datetime | None,
                     first: Message) -> tuple[OutboundEmail, TicketEvent]:
    """The acknowledgement of a new ticket (its number, when it will be answered), unsaved."""
    subject, body = texts.acknowledgement(ticket=ticket, loaded=loaded,
                                          out_of_hours_from=out_of_hours_from)
    mail = email_build(to=ticket.contact.email, subject=subject, body_text=body,
                       purpose="ticket.ack", ticket=ticket, auto_submitted=True,
                       in_reply_to=first.message_id if first and first.message_id else "")
    event = TicketEvent(
        ticket=ticket, key="ticket.acknowledged", at=timezone.now(),
        data={"out_of_hours_until":
              out_of_hours_from.isoformat() if out_of_hours_from else None})
    return mail, event
