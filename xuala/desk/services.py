"""State changes of tickets. Every change goes through here and writes an event row."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from xuala.customers.models import Customer, Service, Site
from xuala.customers.selectors import customer_coverage
from xuala.desk import texts
from xuala.desk.clocks import policy_of_version, ticket_times
from xuala.desk.errors import AttachmentRejected, CoverageRefused, InvalidTransition
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
from xuala.notify.services import email_enqueue
from xuala.policy.schema import Decision, TicketClass
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


def _check_uploads(uploads: Sequence[Upload]) -> None:
    limit = settings.XUALA_MAX_ATTACHMENT_BYTES
    if len(uploads) > settings.XUALA_MAX_ATTACHMENTS:
        raise AttachmentRejected(f"at most {settings.XUALA_MAX_ATTACHMENTS} attachments",
                                 code="too_many")
    for upload in uploads:
        if len(upload.content) > limit:
            raise AttachmentRejected(
                f"{upload.filename!r} is {len(upload.content)} bytes; the limit is {limit}",
                code="too_large")


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    try:
        cleaned = get_valid_filename(base)
    except Exception:
        cleaned = "attachment"
    return cleaned[:150] or "attachment"


def _message_add(*, ticket: Ticket, kind: str, author, body_text: str, body_html: str = "",
                 channel: str = Channel.PORTAL, uploads: Sequence[Upload] = (),
                 message_id: str = "", at: datetime | None = None) -> Message:
    _check_uploads(uploads)
    message = Message.objects.create(
        ticket=ticket, kind=kind, author=author, body_text=body_text,
        body_html=sanitize_html(body_html) if body_html else text_to_html(body_text),
        channel=channel, message_id=message_id, created_at=at or timezone.now(),
    )
    for upload in uploads:
        name = safe_filename(upload.filename)
        attachment = Attachment(message=message, filename=name, size=len(upload.content),
                                content_type=upload.content_type[:100])
        attachment.file.save(name, ContentFile(upload.content), save=True)
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

@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    triage: Triage
    out_of_hours_from: datetime | None  # when it will be attended, if it came in closed hours


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
) -> Opened:
    """Open a ticket from a client's request, triaged and clocked by the active policy.

    Raises CoverageRefused, with no ticket written, when the customer has no active
    service (§6). Certain decisions (the form's category) are applied at once; a
    judgement on free text is stored as a proposal for the agent.
    """
    subject = (subject or "").strip()[:250]
    if not subject or not (body_text or body_html).strip():
        raise InvalidTransition("a request needs a subject and a description", code="empty")
    _check_uploads(uploads)
    if site is not None and site.customer_id != customer.pk:
        raise InvalidTransition("that site belongs to another customer", code="foreign_site")
    if service is not None and service.customer_id != customer.pk:
        raise InvalidTransition("that service belongs to another customer",
                                code="foreign_service")
    received_at = received_at or timezone.now()
    version = policy_version_record()
    loaded = policy_of_version(version)
    coverage = customer_coverage(customer=customer, on=received_at.astimezone(loaded.calendar.tz))
    language = language or getattr(contact, "language", None) or customer.language
    decided = triage(loaded.policy, Facts(
        is_client=coverage.has_active_service,
        has_plan=coverage.covers_site(site.pk if site else None),
        category=category,
        text=f"{subject}\n{body_text}",
        language=language,
    ))
    if decided.rule == "not_client":
        raise CoverageRefused(
            texts.policy_answer(decision=decided.decision, rule_key=decided.rule,
                                clause=decided.clause, loaded=loaded, language=language),
            clause="6", code="not_client")
    with transaction.atomic():
        ticket = Ticket(
            customer=customer, contact=contact, channel=channel, category=category or "",
            subject=subject, site=site, service=service, language=language,
            ticket_class=ticket_class or decided.ticket_class, status=Status.NEW,
            policy_version=version, received_at=received_at, created_at=received_at,
            triage_rule=decided.rule, triage_decision=decided.decision,
            triage_clause=decided.clause,
            triage_state=TriageState.APPLIED if decided.certain else TriageState.PROPOSED,
        )
        _refresh_queue_fields(ticket)  # clocks and queue columns before the one INSERT
        ticket.save(force_insert=True)
        first = _message_add(ticket=ticket, kind=MessageKind.CLIENT, author=contact,
                             body_text=body_text, body_html=body_html, channel=channel,
                             uploads=uploads, message_id=message_id, at=received_at)
        TicketEvent.objects.bulk_create([
            TicketEvent(ticket=ticket, key="ticket.opened", actor=contact, at=received_at,
                        data={"channel": channel, "policy_version": version.pk,
                              "ticket_class": ticket.ticket_class}),
            TicketEvent(ticket=ticket, at=received_at,
                        key="triage.applied" if decided.certain else "triage.proposed",
                        data={"decision": decided.decision, "clause": decided.clause,
                              "rule": decided.rule}),
        ])
        if decided.certain:
            _apply_decision(ticket, decided.decision, decided.rule, decided.clause, actor=None,
                            at=received_at)
        calendar = loaded.calendar
        out_of_hours = None if calendar.is_open(received_at) else calendar.next_opening(received_at)
        _acknowledge(ticket, loaded, out_of_hours, first)
    return Opened(ticket=ticket, triage=decided, out_of_hours_from=out_of_hours)


def _acknowledge(ticket: Ticket, loaded, out_of_hours_from: datetime | None,
                 first: Message) -> None:
    if ticket.contact is None:
        return
    subject, body = texts.acknowledgement(ticket=ticket, loaded=loaded,
                                          out_of_hours_from=out_of_hours_from)
    email_enqueue(to=ticket.contact.email, subject=subject, body_text=body,
                  purpose="ticket.ack", ticket=ticket, auto_submitted=True,
                  in_reply_to=first.message_id if first and first.message_id else "")
    event_record(ticket=ticket, key="ticket.acknowledged",
                 out_of_hours_until=out_of_hours_from.isoformat() if out_of_hours_from else None)


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
                 at: datetime | None = None) -> Message:
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
            ticket_set_status(ticket=ticket, status=status, actor=author, at=at)
    return message


def ticket_note(*, ticket: Ticket, author, body_text: str,
                uploads: Sequence[Upload] = ()) -> Message:
    with transaction.atomic():
        message = _message_add(ticket=ticket, kind=MessageKind.NOTE, author=author,
                               body_text=body_text, uploads=uploads, channel=Channel.AGENT)
        event_record(ticket=ticket, key="ticket.noted", actor=author, message=message.pk)
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
