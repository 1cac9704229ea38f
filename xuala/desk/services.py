"""State changes of tickets. Every change goes through here and writes an event row."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import get_valid_filename

from xuala.core.text import one_line
from xuala.customers.models import Customer, Service, Site
from xuala.customers.selectors import Coverage, customer_coverage, customers_coverage
from xuala.desk import texts
from xuala.desk.bulk import insert_rows
from xuala.desk.clocks import policy_of_version, ticket_times
from xuala.desk.errors import (
    AttachmentRejected,
    ChannelRefused,
    CoverageRefused,
    InvalidTransition,
)
from xuala.desk.models import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    PAUSED_STATUSES,
    Attachment,
    Channel,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketEvent,
    TicketPause,
    TriageState,
)
from xuala.desk.triage import Facts, Triage, triage
from xuala.notify.models import OutboundEmail
from xuala.notify.services import email_build, email_enqueue
from xuala.policy.loader import LoadedPolicy
from xuala.policy.models import PolicyVersion
from xuala.policy.schema import Decision, TicketClass
from xuala.policy.selectors import policy_active
from xuala.policy.services import policy_version_record


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def event_record(*, ticket: Ticket, key: str, actor=None, at: datetime | None = None,
                 **data) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, key=key, actor=actor,
                                      at=at or timezone.now(), data=data)


# ---------------------------------------------------------------- bodies and files

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote",
                "pre", "code", "a", "h1", "h2", "h3", "h4", "table", "thead", "tbody", "tr",
                "td", "th", "span", "div", "hr"}


# nh3's cost grows with the square of the nesting depth: a hostile mail of 20,000 nested
# <div>s takes seconds. Past these bounds the markup is dropped and its text kept.
MAX_HTML_CHARS = 300_000
MAX_HTML_TAGS = 4_000
_TAG_RE = re.compile(r"<[^>]*>")


def sanitize_html(raw: str) -> str:
    if len(raw) > MAX_HTML_CHARS or raw.count("<") > MAX_HTML_TAGS:
        text = html.unescape(_TAG_RE.sub(" ", raw[:MAX_HTML_CHARS]))
        return text_to_html(re.sub(r"[ \t]+", " ", text))
    return nh3.clean(raw, tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow",
                     url_schemes={"http", "https", "mailto"})


def text_to_html(text: str) -> str:
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _check_uploads(uploads: Sequence[Upload], *, customer: Customer | None = None,
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


MAX_FILENAME = 150


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    try:
        cleaned = get_valid_filename(base)
    except Exception:
        cleaned = "attachment"
    if len(cleaned) > MAX_FILENAME:
        # Shortened from the middle: the extension (what opens the file) is kept.
        stem, dot, ext = cleaned.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            cleaned = stem[:MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_FILENAME]
    return cleaned or "attachment"


def _message_build(*, ticket: Ticket, kind: str, author, body_text: str, body_html: str = "",
                   channel: str = Channel.PORTAL, message_id: str = "",
                   at: datetime | None = None) -> Message:
    return Message(
        ticket=ticket, kind=kind, author=author, body_text=body_text,
        body_html=sanitize_html(body_html) if body_html else text_to_html(body_text),
        channel=channel, message_id=message_id, created_at=at or timezone.now(),
    )


def _attachments_save(message: Message, uploads: Sequence[Upload]) -> None:
    for upload in uploads:
        name = safe_filename(upload.filename)
        attachment = Attachment(message=message, filename=name, size=len(upload.content),
                                content_type=upload.content_type[:100])
        attachment.file.save(name, ContentFile(upload.content), save=True)


def _message_add(*, ticket: Ticket, kind: str, author, body_text: str, body_html: str = "",
                 channel: str = Channel.PORTAL, uploads: Sequence[Upload] = (),
                 message_id: str = "", at: datetime | None = None) -> Message:
    _check_uploads(uploads, customer=ticket.customer, channel=channel)
    message = _message_build(ticket=ticket, kind=kind, author=author, body_text=body_text,
                             body_html=body_html, channel=channel, message_id=message_id, at=at)
    message.save(force_insert=True)
    _attachments_save(message, uploads)
    return message


# ---------------------------------------------------------------- clocks

def _closed_pauses(ticket: Ticket) -> list[tuple[datetime, datetime]]:
    # Always from the database: a prefetched ticket.pauses would miss a pause just closed.
    return list(TicketPause.objects.filter(ticket=ticket, ended_at__isnull=False)
                .order_by("started_at").values_list("started_at", "ended_at"))


def _sla_stages(ticket: Ticket) -> list[tuple[datetime, str]]:
    """The instants at which the SLA sweep acts on this ticket, in order."""
    loaded = policy_of_version(ticket.policy_version)
    target = loaded.policy.targets.for_class(ticket.ticket_class)
    stages: list[tuple[datetime, str]] = []
    for lead in target.warn_before:
        stages.append((ticket.target_at - lead, "sla.target_warning"))
    stages.append((ticket.target_at, "sla.target_missed"))
    if ticket.due_at != ticket.target_at:
        for lead in target.warn_before:
            stages.append((ticket.due_at - lead, "sla.due_warning"))
    stages.append((ticket.due_at, "sla.breached"))
    return sorted(stages, key=lambda s: s[0])


def _refresh_queue_fields(ticket: Ticket) -> None:
    """Derive the clock and queue columns from the ticket's state."""
    done = ticket.status in DONE_STATUSES
    paused = ticket.status in PAUSED_STATUSES
    if not done and not paused:
        pauses = _closed_pauses(ticket) if ticket.pk else []
        times = ticket_times(ticket, pauses=pauses)
        ticket.target_at, ticket.due_at = times.target_at, times.due_at
    if done:
        ticket.queue_rank = 3
    elif paused:
        ticket.queue_rank = 2
    elif ticket.ticket_class == TicketClass.EMERGENCY:
        ticket.queue_rank = 0
    else:
        ticket.queue_rank = 1
    ticket.class_rank = 0 if ticket.ticket_class != TicketClass.STANDARD else 1
    running = not done and not paused and ticket.first_response_at is None
    if not running:
        ticket.sla_next_at = None
        return
    stages = _sla_stages(ticket)
    ticket.sla_next_at = stages[ticket.sla_stage][0] if ticket.sla_stage < len(stages) else None


def _pause(ticket: Ticket, status: str, at: datetime) -> None:
    if ticket.paused_since is None:
        TicketPause.objects.create(ticket=ticket, started_at=at, reason=status)
        ticket.paused_since = at
        event_record(ticket=ticket, key="sla.paused", at=at, reason=status)


def _resume(ticket: Ticket, at: datetime) -> None:
    if ticket.paused_since is not None:
        ticket.pauses.filter(ended_at__isnull=True).update(ended_at=at)
        ticket.paused_since = None
        event_record(ticket=ticket, key="sla.resumed", at=at)


# ---------------------------------------------------------------- opening

def client_channel_check(*, channel: str) -> None:
    """§3: a client's request is attended only through a channel the policy accepts; raise
    ChannelRefused for any other (agents opening tickets for clients are not subject)."""
    from xuala.policy.selectors import channel_accepted

    if not channel_accepted(channel):
        raise ChannelRefused(f"the policy does not accept requests through {channel!r}",
                             clause="3", code="channel_not_accepted")


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

    def prefetch(self, requests: Sequence[tuple[Customer, datetime]]) -> None:
        """Read the coverage of these (customer, received at) in one go."""
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


def _plan_extras(loaded: LoadedPolicy, coverage: Coverage) -> frozenset[str]:
    """The extras (content management, orders, customer service...) of the customer's plans."""
    extras: set[str] = set()
    for key in coverage.plan_keys:
        try:
            extras.update(loaded.policy.plan(key).extras)
        except KeyError:  # a contract whose plan the policy no longer names
            continue
    return frozenset(extras)


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
    subject = one_line(request.subject)[:250]  # a subject never breaks a mail header
    if not subject or not (request.body_text or request.body_html).strip():
        raise InvalidTransition("a request needs a subject and a description", code="empty")
    _check_uploads(request.uploads, customer=request.customer, channel=request.channel)
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
        extras=_plan_extras(loaded, coverage),
        category=request.category,
        text=f"{subject}\n{request.body_text}",
        language=language,
    ))
    if decided.rule == "not_client":
        raise CoverageRefused(
            texts.policy_answer(decision=decided.decision, rule_key=decided.rule,
                                clause=decided.clause, loaded=loaded, language=language),
            clause="6", code="not_client")
    ticket = Ticket(
        customer=customer, contact=contact, channel=request.channel,
        category=request.category or "", subject=subject, site=site, service=service,
        language=language, ticket_class=request.ticket_class or decided.ticket_class,
        status=Status.NEW, policy_version=version, received_at=received_at,
        created_at=received_at, triage_rule=decided.rule, triage_decision=decided.decision,
        triage_clause=decided.clause,
        triage_state=TriageState.APPLIED if decided.certain else TriageState.PROPOSED,
    )
    _refresh_queue_fields(ticket)  # clocks and queue columns before the INSERT
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
    firsts = [_message_build(ticket=p.ticket,
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
                              "rule": decided.rule}),
        ]
    insert_rows(events)
    for p, first in zip(prepared, firsts, strict=True):
        _attachments_save(first, p.request.uploads)
        if p.triage.certain and p.triage.decision != Decision.COVERED:
            _apply_decision(p.ticket, p.triage.decision, p.triage.rule, p.triage.clause,
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


def _page_oncall(ticket: Ticket, at: datetime) -> None:
    email_enqueue(
        to=settings.XUALA_ONCALL_EMAIL,
        subject=f"[{ticket.reference}] EMERGENCY {ticket.customer}: {ticket.subject}",
        body_text=(f"Web-service emergency {ticket.reference} for {ticket.customer}.\n"
                   f"Site: {ticket.site or '-'}\nDue: {ticket.due_at.isoformat()}\n\n"
                   f"{ticket.messages.first().body_text if ticket.messages.exists() else ''}"),
        purpose="oncall.page", ticket=ticket)
    event_record(ticket=ticket, key="oncall.paged", at=at, to=settings.XUALA_ONCALL_EMAIL)


def _apply_decision(ticket: Ticket, decision: str, rule: str, clause: str, *, actor,
                    at: datetime) -> None:
    """Carry out a triage decision on a saved ticket."""
    loaded = policy_of_version(ticket.policy_version)
    if decision in (Decision.REFUSED, Decision.NEEDS_PLAN):
        answer = texts.policy_answer(decision=decision, rule_key=rule, clause=clause,
                                     loaded=loaded, language=ticket.language)
        _public_answer(ticket, answer, author=actor, kind=MessageKind.AUTO if actor is None
                       else MessageKind.REPLY, at=at)
        ticket_set_status(ticket=ticket, status=Status.RESOLVED, actor=actor, at=at,
                          reason=f"triage.{decision}")
    elif decision in (Decision.NEEDS_QUOTE, Decision.MEETING):
        answer = texts.policy_answer(decision=decision, rule_key=rule, clause=clause,
                                     loaded=loaded, language=ticket.language)
        _public_answer(ticket, answer, author=actor, kind=MessageKind.AUTO if actor is None
                       else MessageKind.REPLY, at=at)
        status = Status.WAITING_ON_QUOTE if decision == Decision.NEEDS_QUOTE else Status.MEETING
        ticket_set_status(ticket=ticket, status=status, actor=actor, at=at,
                          reason=f"triage.{decision}")
        if decision == Decision.MEETING:  # §4: a meeting request that offers the client times
            from xuala.meetings.services import meeting_request_open
            meeting_request_open(ticket=ticket, actor=actor, at=at)
    elif decision == Decision.EMERGENCY:
        if ticket.ticket_class != TicketClass.EMERGENCY:
            ticket.ticket_class = TicketClass.EMERGENCY
            ticket.sla_stage = 0
            _refresh_queue_fields(ticket)
            ticket.save()
            event_record(ticket=ticket, key="ticket.class_changed", actor=actor, at=at,
                         ticket_class=TicketClass.EMERGENCY.value)
        _page_oncall(ticket, at)


def _first_response(ticket: Ticket, author, at: datetime) -> bool:
    """Stop the response clock at the first public answer; True if this was it."""
    if ticket.first_response_at is not None:
        return False
    ticket.first_response_at = at
    event_record(ticket=ticket, key="sla.first_response", actor=author, at=at,
                 within_target=bool(ticket.target_at and at <= ticket.target_at),
                 within_due=not (ticket.due_at is not None and at > ticket.due_at))
    return True


def _public_answer(ticket: Ticket, text: str, *, author, kind: str, at: datetime) -> Message:
    message = _message_add(ticket=ticket, kind=kind, author=author, body_text=text,
                           channel=Channel.AGENT if author else Channel.PORTAL, at=at)
    if author is not None and _first_response(ticket, author, at):
        ticket.save(update_fields=["first_response_at", "updated_at"])
    _mail_client(ticket, message)
    return message


def _mail_client(ticket: Ticket, message: Message) -> None:
    if ticket.contact is None:
        return
    outbound = email_enqueue(
        to=ticket.contact.email, subject=f"[{ticket.reference}] {ticket.subject}",
        body_text=message.body_text, body_html=message.body_html, purpose="ticket.reply",
        ticket=ticket, auto_submitted=message.kind == MessageKind.AUTO)
    Message.objects.filter(pk=message.pk).update(message_id=outbound.message_id)


# ---------------------------------------------------------------- agent and client actions

def ticket_reply(*, ticket: Ticket, author, body_text: str, body_html: str = "",
                 uploads: Sequence[Upload] = (), status: str | None = Status.WAITING_ON_CLIENT,
                 at: datetime | None = None, reason: str = "") -> Message:
    """An agent's public answer; the first one stops the response clock."""
    at = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = _message_add(ticket=ticket, kind=MessageKind.REPLY, author=author,
                               body_text=body_text, body_html=body_html, uploads=uploads,
                               channel=Channel.AGENT, at=at)
        event_record(ticket=ticket, key="ticket.replied", actor=author, at=at,
                     message=message.pk)
        _first_response(ticket, author, at)
        if ticket.assignee_id is None and getattr(author, "is_agent", False):
            ticket.assignee = author
        _refresh_queue_fields(ticket)
        ticket.save()
        _mail_client(ticket, message)
        if status and status != ticket.status:
            ticket_set_status(ticket=ticket, status=status, actor=author, at=at,
                              reason=reason)
    return message


def ticket_note(*, ticket: Ticket, author, body_text: str,
                uploads: Sequence[Upload] = ()) -> Message:
    with transaction.atomic():
        message = _message_add(ticket=ticket, kind=MessageKind.NOTE, author=author,
                               body_text=body_text, uploads=uploads, channel=Channel.AGENT)
        event_record(ticket=ticket, key="ticket.noted", actor=author, message=message.pk)
    return message


def ticket_system_message(*, ticket: Ticket, body_text: str, channel: str,
                          key: str, at: datetime | None = None, **data) -> Message:
    """The desk itself writes to the client on a ticket (no author), and mails it."""
    at = at or timezone.now()
    with transaction.atomic():
        message = _message_add(ticket=ticket, kind=MessageKind.AUTO, author=None,
                               body_text=body_text, channel=channel, at=at)
        _mail_client(ticket, message)
        event_record(ticket=ticket, key=key, at=at, message=message.pk, **data)
    return message


def ticket_client_message(*, ticket: Ticket, author, body_text: str, body_html: str = "",
                          uploads: Sequence[Upload] = (), channel: str = Channel.PORTAL,
                          message_id: str = "", at: datetime | None = None) -> Message:
    """The client writes on its ticket: a ticket waiting on the client, or done, reopens."""
    at = at or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = _message_add(ticket=ticket, kind=MessageKind.CLIENT, author=author,
                               body_text=body_text, body_html=body_html, uploads=uploads,
                               channel=channel, message_id=message_id, at=at)
        event_record(ticket=ticket, key="ticket.client_message", actor=author, at=at,
                     message=message.pk)
        if ticket.status in (Status.WAITING_ON_CLIENT, Status.RESOLVED, Status.CLOSED):
            ticket_set_status(ticket=ticket, status=Status.OPEN, actor=author, at=at)
    return message


ALLOWED = {
    Status.NEW: set(Status) - {Status.NEW},
    Status.OPEN: set(Status) - {Status.NEW, Status.OPEN},
    Status.WAITING_ON_CLIENT: set(Status) - {Status.NEW, Status.WAITING_ON_CLIENT},
    Status.WAITING_ON_QUOTE: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.MEETING: {Status.OPEN, Status.WAITING_ON_CLIENT, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}

# §5: work starts only once the client accepts the quote. A ticket waiting on a quote
# leaves that status only through the quote itself: the client accepts or rejects it, or
# the agent withdraws it (with a reason), or its validity date passes. These are the
# reasons the quote services give; any other move out of "waiting on quote" is refused.
QUOTE_EXITS = frozenset({"quote.accepted", "quote.rejected", "quote.withdrawn",
                         "quote.expired"})


def statuses_reachable(status: str) -> list[str]:
    """The statuses an agent may move a ticket to by hand from ``status``, in order.

    None from "waiting on quote": only the quote's outcome moves such a ticket (§5).
    """
    if Status(status) == Status.WAITING_ON_QUOTE:
        return []
    allowed = ALLOWED[Status(status)]
    return [s.value for s in Status if s in allowed]


def ticket_set_status(*, ticket: Ticket, status: str, actor=None, at: datetime | None = None,
                      reason: str = "") -> Ticket:
    """Move a ticket to ``status``; entering a waiting status pauses the clock, leaving resumes."""
    at = at or timezone.now()
    status = Status(status)
    old = Status(ticket.status)
    if status == old:
        return ticket
    if status not in ALLOWED[old]:
        raise InvalidTransition(f"a ticket cannot go from {old.value} to {status.value}",
                                code="transition")
    if old == Status.WAITING_ON_QUOTE and reason not in QUOTE_EXITS:
        raise InvalidTransition("a ticket waiting on a quote moves only when the client "
                                "accepts or rejects it or the quote is withdrawn (§5)",
                                code="quote_pending")
    with transaction.atomic():
        if status in PAUSED_STATUSES:
            _pause(ticket, status, at)
        elif old in PAUSED_STATUSES:
            _resume(ticket, at)
        ticket.status = status
        if status in DONE_STATUSES and ticket.resolved_at is None:
            ticket.resolved_at = at
        if status in ACTIVE_STATUSES:
            ticket.resolved_at = None
        _refresh_queue_fields(ticket)
        ticket.save()
        event_record(ticket=ticket, key="ticket.status_changed", actor=actor, at=at,
                     old=old.value, new=status.value, reason=reason)
    return ticket


def ticket_assign(*, ticket: Ticket, assignee, actor) -> Ticket:
    if assignee is not None and not getattr(assignee, "is_agent", False):
        raise InvalidTransition("only agents can be assigned", code="not_agent")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee)
    ticket.assignee = assignee
    event_record(ticket=ticket, key="ticket.assigned", actor=actor,
                 assignee=assignee.pk if assignee else None)
    return ticket


def ticket_triage_apply(*, ticket: Ticket, actor) -> Ticket:
    """The agent agrees with the triage proposal: the prepared answer goes out."""
    if ticket.triage_state != TriageState.PROPOSED:
        raise InvalidTransition("there is no triage proposal to apply", code="no_proposal")
    at = timezone.now()
    with transaction.atomic():
        ticket.triage_state = TriageState.APPLIED
        ticket.save(update_fields=["triage_state", "updated_at"])
        event_record(ticket=ticket, key="triage.applied", actor=actor, at=at,
                     decision=ticket.triage_decision, clause=ticket.triage_clause,
                     rule=ticket.triage_rule)
        _apply_decision(ticket, ticket.triage_decision, ticket.triage_rule,
                        ticket.triage_clause, actor=actor, at=at)
    return ticket


def ticket_emergency_confirm(*, ticket: Ticket, at: datetime, failing: list[str]) -> Ticket:
    """§1: Online Sentry's one-shot check confirmed what the client reported (a site or
    server down): the emergency proposal is applied by the system, at any hour, and on-call
    is paged."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.triage_state != TriageState.PROPOSED:
            return ticket
        ticket.triage_state = TriageState.APPLIED
        ticket.save(update_fields=["triage_state", "updated_at"])
        event_record(ticket=ticket, key="triage.applied", actor=None, at=at,
                     decision=ticket.triage_decision, clause=ticket.triage_clause,
                     rule=ticket.triage_rule, confirmed_by="sentry", failing=failing)
        _apply_decision(ticket, Decision.EMERGENCY, ticket.triage_rule, ticket.triage_clause,
                        actor=None, at=at)
    return ticket


def ticket_triage_dismiss(*, ticket: Ticket, actor) -> Ticket:
    if ticket.triage_state != TriageState.PROPOSED:
        raise InvalidTransition("there is no triage proposal to dismiss", code="no_proposal")
    ticket.triage_state = TriageState.DISMISSED
    ticket.save(update_fields=["triage_state", "updated_at"])
    event_record(ticket=ticket, key="triage.dismissed", actor=actor)
    return ticket


def triage_prepared_answer(ticket: Ticket) -> str:
    """The answer that applying the proposal would send (shown to the agent first)."""
    if ticket.triage_decision in (Decision.COVERED, Decision.EMERGENCY, ""):
        return ""
    loaded = policy_of_version(ticket.policy_version)
    return texts.policy_answer(decision=ticket.triage_decision, rule_key=ticket.triage_rule,
                               clause=ticket.triage_clause, loaded=loaded,
                               language=ticket.language)
