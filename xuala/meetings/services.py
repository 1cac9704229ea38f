"""State changes of meetings (§4): requests, offers, bookings, invitations and reminders.

The ticket of a meeting request stays in the ``meeting`` status (its clock paused) while a
time is arranged and until the meeting is held; marking it held, or cancelling it, moves the
ticket back to ``open`` so the follow-up runs on the clock again.

Booking is race-safe: every booking locks the agent's profile row (``SELECT … FOR UPDATE``
on PostgreSQL; on SQLite the settings open every transaction IMMEDIATE, which takes the
write lock at BEGIN), then checks for overlaps; a conditional unique constraint
(one confirmed meeting per agent and start) backs it in the database.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from xuala.core.claims import claim_due
from xuala.core.links import public_url
from xuala.customers.selectors import customer_for_user
from xuala.desk.errors import InvalidTransition
from xuala.desk.models import Status, Ticket
from xuala.desk.services import event_record, ticket_set_status
from xuala.meetings import ics, selectors, slots, texts
from xuala.meetings.availability import (  # noqa: F401 (the services of meetings, in one place)
    agent_timezone_set,
    availability_add,
    availability_exception_add,
    availability_exception_remove,
    availability_remove,
    availability_week_add,
)
from xuala.meetings.errors import NoFreeSlots, OutsideOpeningHours, SlotTaken
from xuala.meetings.models import (
    BOOKED_REQUEST_STATUSES,
    FINISHED_REQUEST_STATUSES,
    OPEN_REQUEST_STATUSES,
    AgentProfile,
    ClientProposal,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    OfferedSlot,
    RequestStatus,
)
from xuala.notify.services import MailAttachment, email_enqueue
from xuala.policy.selectors import policy_active

log = logging.getLogger(__name__)

SLOT_STEP = timedelta(minutes=15)
MAX_PROPOSED_TIMES = 3


# ---------------------------------------------------------------- configuration

def room_url_new() -> str:
    """A fresh video-call room from XUALA_MEETING_ROOM_URL (a pattern with ``{token}``)."""
    pattern = settings.XUALA_MEETING_ROOM_URL
    if "{token}" not in pattern:
        raise ImproperlyConfigured("XUALA_MEETING_ROOM_URL must contain {token}")
    return pattern.format(token=secrets.token_urlsafe(16))


def _reminder_before() -> timedelta:
    return timedelta(minutes=settings.XUALA_MEETING_REMINDER_MINUTES)


def _slots_per_day() -> int | None:
    per_day = settings.XUALA_MEETING_SLOTS_PER_DAY
    return per_day or None  # 0: no spreading, the earliest slots one after another


def _iso(instant: datetime) -> str:
    """An instant for an event row: ISO 8601 in UTC, whatever zone it was given in."""
    return instant.astimezone(slots.UTC).isoformat()


def portal_url(request: MeetingRequest, language: str) -> str:
    with translation.override(language):
        return public_url(reverse("meetings_portal:request", args=[request.pk]))


def console_url(request: MeetingRequest, language: str) -> str:
    with translation.override(language):
        return public_url(reverse("meetings_console:request", args=[request.pk]))


# ---------------------------------------------------------------- requests and offers

def meeting_request_open(*, ticket: Ticket, actor=None, offer: bool = True,
                         at: datetime | None = None) -> MeetingRequest:
    """The ticket's live meeting request, opened if it has none (idempotent).

    The ticket moves to (or stays in) the ``meeting`` status, which pauses its clock. With
    ``offer``, the next free slots are offered to the client once the surrounding
    transaction commits (and nothing is offered, without error, if no agent is free).
    """
    at = at or timezone.now()
    live = MeetingRequest.objects.filter(ticket=ticket).exclude(
        status__in=list(FINISHED_REQUEST_STATUSES)).first()
    if live is not None:
        return live
    with transaction.atomic():
        if ticket.status != Status.MEETING:
            ticket_set_status(ticket=ticket, status=Status.MEETING, actor=actor, at=at,
                              reason="meeting.requested")
        try:
            with transaction.atomic():
                request = MeetingRequest.objects.create(ticket=ticket, customer=ticket.customer,
                                                        created_at=at)
        except IntegrityError:  # opened by someone else a moment ago
            return MeetingRequest.objects.filter(ticket=ticket).exclude(
                status__in=list(FINISHED_REQUEST_STATUSES)).get()
        event_record(ticket=ticket, key="meeting.requested", actor=actor, at=at,
                     request=request.pk)
        if offer:
            request_pk = request.pk

            def offer_after_commit() -> None:
                _offer_if_possible(request_pk)

            transaction.on_commit(offer_after_commit, robust=True)
    return request


def _offer_if_possible(request_pk: int) -> None:
    request = MeetingRequest.objects.select_related("ticket").get(pk=request_pk)
    try:
        meeting_offer(request=request)
    except NoFreeSlots:
        log.info("meeting request %s: no free slots to offer yet", request_pk)


def _next_slots(agents: Sequence, *, now: datetime,
                count: int) -> list[tuple[object, slots.Slot]]:
    """Up to ``count`` (agent, slot) pairs at distinct times, earliest first."""
    loaded = policy_active()
    rules = loaded.policy.meetings
    per_day = _slots_per_day()
    horizon = slots.DEFAULT_HORIZON
    found: dict[datetime, tuple[object, slots.Slot]] = {}
    for agent in agents:
        start = now + rules.notice
        for slot in slots.free_slots(
                calendar=loaded.calendar,
                availability=selectors.availability_of(agent, since=now),
                busy=selectors.busy_of(agent, start=start, end=start + horizon),
                length=rules.length, notice=rules.notice, now=now, count=count,
                step=SLOT_STEP, per_day=per_day, horizon=horizon):
            found.setdefault(slot.starts_at, (agent, slot))
    ordered = [found[key] for key in sorted(found)]
    if per_day is not None and len(agents) > 1:
        tz = loaded.calendar.tz
        kept, per = [], {}
        for agent, slot in ordered:
            day = slot.starts_at.astimezone(tz).date()
            if per.get(day, 0) < per_day:
                per[day] = per.get(day, 0) + 1
                kept.append((agent, slot))
        ordered = kept
    return ordered[:count]


def meeting_offer(*, request: MeetingRequest, agent=None, actor=None,
                  now: datetime | None = None, notify: bool = True) -> list[OfferedSlot]:
    """Offer the client the next free slots (of ``agent``, else the ticket's assignee, else
    any agent with availability), replacing any earlier offer; mail them to the client.

    Raises NoFreeSlots when there is none, InvalidTransition when the request is settled.
    """
    now = now or timezone.now()
    if request.status not in OPEN_REQUEST_STATUSES:
        raise InvalidTransition("this meeting request is not waiting for a time",
                                code="meeting_status")
    agents = [agent] if agent is not None else selectors.agents_for_offer(request)
    loaded = policy_active()
    found = _next_slots(agents, now=now, count=loaded.policy.meetings.slots_offered)
    if not found:
        raise NoFreeSlots("no agent has a free slot", clause=loaded.policy.meetings.clause,
                          code="no_slots")
    with transaction.atomic():
        request = MeetingRequest.objects.select_for_update(of=("self",)).select_related(
            "ticket", "ticket__contact").get(pk=request.pk)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise InvalidTransition("this meeting request is not waiting for a time",
                                    code="meeting_status")
        request.slots.all().delete()
        rows = OfferedSlot.objects.bulk_create([
            OfferedSlot(request=request, agent=who, starts_at=slot.starts_at,
                        ends_at=slot.ends_at) for who, slot in found])
        request.status = RequestStatus.OFFERED
        request.save(update_fields=["status", "updated_at"])
        ticket = request.ticket
        event_record(ticket=ticket, key="meeting.offered", actor=actor, at=now,
                     request=request.pk, slots=[_iso(row.starts_at) for row in rows])
        contact = selectors.client_user(request)
        if notify and contact is not None:
            subject, body = texts.offer_mail(ticket=ticket, slots=rows, loaded=loaded,
                                             url=portal_url(request, ticket.language))
            email_enqueue(to=contact.email, subject=subject, body_text=body,
                          purpose="meeting.offer", ticket=ticket)
    return rows


def meeting_propose(*, request: MeetingRequest, by, text: str,
                    times: Sequence[datetime] = (), now: datetime | None = None
                    ) -> ClientProposal:
    """The client proposes other times (free text, and up to three exact instants)."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text and not times:
        raise InvalidTransition("a proposal needs some text or a time", code="empty")
    if len(times) > MAX_PROPOSED_TIMES:
        raise InvalidTransition(f"at most {MAX_PROPOSED_TIMES} times", code="too_many")
    for value in times:
        if value.utcoffset() is None or value <= now:
            raise InvalidTransition("proposed times must be in the future", code="past")
    _check_client(request, by)
    loaded = policy_active()
    with transaction.atomic():
        request = MeetingRequest.objects.select_for_update(of=("self",)).select_related(
            "ticket", "ticket__assignee", "ticket__customer").get(pk=request.pk)
        if request.status not in OPEN_REQUEST_STATUSES:
            raise InvalidTransition("this meeting request is not waiting for a time",
                                    code="meeting_status")
        proposal = ClientProposal.objects.create(
            request=request, author=by, text=text[:4000], created_at=now,
            times=[_iso(value) for value in sorted(times)])
        request.status = RequestStatus.PROPOSED_BY_CLIENT
        request.save(update_fields=["status", "updated_at"])
        ticket = request.ticket
        event_record(ticket=ticket, key="meeting.proposed", actor=by, at=now,
                     request=request.pk, proposal=proposal.pk, times=proposal.times)
        assignee = ticket.assignee
        to = assignee.email if assignee else settings.XUALA_AGENTS_EMAIL
        language = assignee.language if assignee else settings.LANGUAGE_CODE
        subject, body = texts.proposal_mail(request=request, proposal=proposal, loaded=loaded,
                                            language=language,
                                            url=console_url(request, language))
        email_enqueue(to=to, subject=subject, body_text=body, purpose="meeting.proposal",
                      ticket=ticket)
    return proposal


# ---------------------------------------------------------------- booking

def _check_client(request: MeetingRequest, by) -> None:
    customer = customer_for_user(by)
    if customer is None or customer.pk != request.customer_id:
        raise InvalidTransition("this meeting request belongs to another customer",
                                code="not_yours")


def _lock_agent(agent) -> AgentProfile:
    """Serialise bookings of one agent: lock its profile row until the transaction ends."""
    AgentProfile.objects.get_or_create(agent=agent)
    return AgentProfile.objects.select_for_update().get(agent=agent)


def _reminder_at(starts_at: datetime, now: datetime) -> datetime | None:
    """When to remind; None when reminders are off (0 minutes) or that moment has passed."""
    before = _reminder_before()
    if before <= timedelta(0):
        return None
    at = starts_at - before
    return at if at > now else None


def _meeting_create(*, request: MeetingRequest, agent, starts_at: datetime,
                    ends_at: datetime, now: datetime) -> Meeting:
    try:
        with transaction.atomic():
            return Meeting.objects.create(
                request=request, agent=agent, starts_at=starts_at, ends_at=ends_at,
                room_url=room_url_new(),
                uid=f"meeting-{uuid.uuid4().hex}@{settings.XUALA_MAIL_DOMAIN}",
                sequence=0, status=MeetingStatus.CONFIRMED,
                reminder_at=_reminder_at(starts_at, now), created_at=now)
    except IntegrityError:
        raise SlotTaken("the agent already has a meeting at that time") from None


def _ensure_free(*, agent, starts_at: datetime, ends_at: datetime, now: datetime,
                 use_availability: bool, exclude: Meeting | None = None) -> None:
    """Raise unless the agent is free then (call it with the agent locked)."""
    loaded = policy_active()
    if starts_at <= now:
        raise SlotTaken("that time has passed", code="past")
    if not slots.is_free(calendar=loaded.calendar, availability=None, busy=(),
                         starts_at=starts_at, ends_at=ends_at):
        raise OutsideOpeningHours("that time is outside the opening hours",
                                  clause=loaded.policy.hours.clause, code="closed")
    availability = selectors.availability_of(agent, since=now) if use_availability else None
    busy = selectors.busy_of(agent, start=starts_at - timedelta(days=1),
                             end=ends_at + timedelta(days=1), exclude=exclude)
    if not slots.is_free(calendar=loaded.calendar, availability=availability, busy=busy,
                         starts_at=starts_at, ends_at=ends_at):
        raise SlotTaken("the agent is no longer free at that time")


def _booked(request: MeetingRequest, *, agent, starts_at: datetime, actor, by: str,
            now: datetime) -> Meeting:
    """Inside a transaction with the agent locked: create the meeting and tell both sides."""
    length = policy_active().policy.meetings.length
    meeting = _meeting_create(request=request, agent=agent, starts_at=starts_at,
                              ends_at=starts_at + length, now=now)
    request.status = RequestStatus.CONFIRMED
    request.agent = agent
    request.save(update_fields=["status", "agent", "updated_at"])
    event_record(ticket=request.ticket, key="meeting.confirmed", actor=actor, at=now,
                 request=request.pk, meeting=meeting.pk, agent=agent.pk, by=by,
                 starts_at=_iso(meeting.starts_at), ends_at=_iso(meeting.ends_at))
    _invitations_send(meeting, kind="confirmed", now=now)
    return meeting


def meeting_pick(*, request: MeetingRequest, slot_id: int, by,
                 now: datetime | None = None) -> Meeting:
    """The client picks an offered slot: confirmed at once if the agent is still free.

    When the slot has gone (another client booked it a moment earlier, the agent's
    availability changed, the offer was replaced), raises SlotTaken whose
    ``alternatives`` are the next free slots, now offered instead.
    """
    now = now or timezone.now()
    _check_client(request, by)
    try:
        with transaction.atomic():
            slot = (OfferedSlot.objects.select_related("agent")
                    .filter(pk=slot_id, request_id=request.pk).first())
            if slot is None:
                raise SlotTaken("that time is no longer offered", code="gone")
            _lock_agent(slot.agent)
            request = (MeetingRequest.objects.select_for_update(of=("self",))
                       .select_related("ticket", "ticket__contact", "customer")
                       .get(pk=request.pk))
            if request.status in BOOKED_REQUEST_STATUSES:
                booked = request.meetings.filter(status=MeetingStatus.CONFIRMED,
                                                 starts_at=slot.starts_at).first()
                if booked is not None:
                    return booked  # the same choice sent twice
            if request.status not in OPEN_REQUEST_STATUSES:
                raise InvalidTransition("this meeting request is not waiting for a time",
                                        code="meeting_status")
            _ensure_free(agent=slot.agent, starts_at=slot.starts_at, ends_at=slot.ends_at,
                         now=now, use_availability=True)
            return _booked(request, agent=slot.agent, starts_at=slot.starts_at, actor=by,
                           by="client", now=now)
    except (SlotTaken, OutsideOpeningHours) as exc:
        try:
            alternatives = meeting_offer(request=request, now=now, notify=False)
        except (NoFreeSlots, InvalidTransition):
            alternatives = []
        raise SlotTaken(str(exc), alternatives=alternatives, code=exc.code) from None


def meeting_confirm(*, request: MeetingRequest, starts_at: datetime, agent, actor,
                    now: datetime | None = None) -> Meeting:
    """An agent fixes the time (usually one the client proposed). The time must be inside
    the opening hours and free for ``agent``; the agent's weekly availability is not
    required, as the agent chooses it knowingly."""
    now = now or timezone.now()
    if not getattr(agent, "is_agent", False):
        raise InvalidTransition("only agents hold meetings", code="not_agent")
    with transaction.atomic():
        _lock_agent(agent)
        request = (MeetingRequest.objects.select_for_update(of=("self",))
                   .select_related("ticket", "ticket__contact", "customer").get(pk=request.pk))
        if request.status not in OPEN_REQUEST_STATUSES:
            raise InvalidTransition("this meeting request is not waiting for a time",
                                    code="meeting_status")
        length = policy_active().policy.meetings.length
        _ensure_free(agent=agent, starts_at=starts_at, ends_at=starts_at + length, now=now,
                     use_availability=False)
        return _booked(request, agent=agent, starts_at=starts_at, actor=actor, by="agent",
                       now=now)


def meeting_reschedule(*, meeting: Meeting, starts_at: datetime, actor, agent=None,
                       now: datetime | None = None) -> Meeting:
    """Move a confirmed meeting (optionally to another agent): same UID, SEQUENCE + 1."""
    now = now or timezone.now()
    agent = agent or meeting.agent
    if not getattr(agent, "is_agent", False):
        raise InvalidTransition("only agents hold meetings", code="not_agent")
    with transaction.atomic():
        involved = {agent.pk: agent, meeting.agent_id: meeting.agent}
        for pk in sorted(involved):  # always in the same order: no deadlock between two moves
            _lock_agent(involved[pk])
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related(
            "request", "request__ticket", "request__ticket__contact", "agent").get(pk=meeting.pk)
        if meeting.status != MeetingStatus.CONFIRMED or \
                meeting.request.status not in BOOKED_REQUEST_STATUSES:
            raise InvalidTransition("only a confirmed meeting can be moved",
                                    code="meeting_status")
        length = meeting.ends_at - meeting.starts_at
        _ensure_free(agent=agent, starts_at=starts_at, ends_at=starts_at + length, now=now,
                     use_availability=False, exclude=meeting)
        old_start, old_agent = meeting.starts_at, meeting.agent
        meeting.starts_at, meeting.ends_at = starts_at, starts_at + length
        meeting.agent = agent
        meeting.sequence += 1
        meeting.reminder_at = _reminder_at(starts_at, now)
        meeting.reminder_sent_at = None
        try:
            with transaction.atomic():
                meeting.save()
        except IntegrityError:
            raise SlotTaken("the agent already has a meeting at that time") from None
        request = meeting.request
        request.status = RequestStatus.RESCHEDULED
        request.agent = agent
        request.save(update_fields=["status", "agent", "updated_at"])
        event_record(ticket=request.ticket, key="meeting.rescheduled", actor=actor, at=now,
                     request=request.pk, meeting=meeting.pk, sequence=meeting.sequence,
                     old_starts_at=_iso(old_start), starts_at=_iso(starts_at),
                     agent=agent.pk, old_agent=old_agent.pk)
        _invitations_send(meeting, kind="rescheduled", now=now)
        if old_agent.pk != agent.pk:
            _invitation_to(meeting, who=old_agent, for_agent=True, kind="withdrawn", now=now)
    return meeting


def meeting_cancel(*, meeting: Meeting, actor, reason: str = "",
                   now: datetime | None = None) -> Meeting:
    """Cancel a confirmed meeting: METHOD:CANCEL to both sides (same UID, SEQUENCE + 1); the
    ticket goes back to ``open`` so the agent follows it up."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related(
            "request", "request__ticket", "request__ticket__contact", "agent").get(pk=meeting.pk)
        if meeting.status != MeetingStatus.CONFIRMED:
            raise InvalidTransition("this meeting is not confirmed", code="meeting_status")
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence += 1
        meeting.reminder_at = None
        meeting.save()
        request = meeting.request
        request.status = RequestStatus.CANCELLED
        request.save(update_fields=["status", "updated_at"])
        ticket = request.ticket
        event_record(ticket=ticket, key="meeting.cancelled", actor=actor, at=now,
                     request=request.pk, meeting=meeting.pk, sequence=meeting.sequence,
                     reason=reason[:500])
        _invitations_send(meeting, kind="cancelled", now=now)
        if ticket.status == Status.MEETING:
            ticket_set_status(ticket=ticket, status=Status.OPEN, actor=actor, at=now,
                              reason="meeting.cancelled")
    return meeting


def meeting_request_cancel(*, request: MeetingRequest, actor,
                           now: datetime | None = None) -> MeetingRequest:
    """Withdraw a request that has no confirmed meeting yet; the ticket goes back to open."""
    now = now or timezone.now()
    with transaction.atomic():
        request = (MeetingRequest.objects.select_for_update(of=("self",))
                   .select_related("ticket").get(pk=request.pk))
        if request.status not in OPEN_REQUEST_STATUSES:
            raise InvalidTransition("this meeting request is not waiting for a time",
                                    code="meeting_status")
        request.status = RequestStatus.CANCELLED
        request.save(update_fields=["status", "updated_at"])
        request.slots.all().delete()
        ticket = request.ticket
        event_record(ticket=ticket, key="meeting.request_cancelled", actor=actor, at=now,
                     request=request.pk)
        if ticket.status == Status.MEETING:
            ticket_set_status(ticket=ticket, status=Status.OPEN, actor=actor, at=now,
                              reason="meeting.request_cancelled")
    return request


def meeting_done(*, meeting: Meeting, actor, now: datetime | None = None) -> Meeting:
    """The meeting was held: the request is done and the ticket back to ``open``."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related(
            "request", "request__ticket").get(pk=meeting.pk)
        request = meeting.request
        if meeting.status != MeetingStatus.CONFIRMED or \
                request.status not in BOOKED_REQUEST_STATUSES:
            raise InvalidTransition("this meeting is not confirmed", code="meeting_status")
        if meeting.starts_at > now:
            raise InvalidTransition("this meeting has not started yet", code="not_started")
        request.status = RequestStatus.DONE
        request.save(update_fields=["status", "updated_at"])
        Meeting.objects.filter(pk=meeting.pk).update(reminder_at=None)
        ticket = request.ticket
        event_record(ticket=ticket, key="meeting.held", actor=actor, at=now,
                     request=request.pk, meeting=meeting.pk)
        if ticket.status == Status.MEETING:
            ticket_set_status(ticket=ticket, status=Status.OPEN, actor=actor, at=now,
                              reason="meeting.held")
    return meeting


# ---------------------------------------------------------------- invitations and reminders

def invitation_ics(meeting: Meeting, *, method: str, language: str,
                   now: datetime | None = None) -> bytes:
    """The meeting's .ics (REQUEST or CANCEL) as its current SEQUENCE describes it."""
    loaded = policy_active()
    request = meeting.request
    ticket = request.ticket
    client = selectors.client_user(request)
    attendees = [ics.Person(email=client.email, name=client.get_full_name())] if client else []
    attendees.append(ics.Person(email=meeting.agent.email, name=meeting.agent.get_full_name()))
    return ics.invitation(
        method=method, uid=meeting.uid, sequence=meeting.sequence,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at,
        summary=texts.invitation_summary(ticket=ticket, loaded=loaded, language=language),
        description=texts.invitation_description(ticket=ticket, room_url=meeting.room_url,
                                                 loaded=loaded, language=language),
        room_url=meeting.room_url,
        organizer=ics.Person(email=loaded.policy.channels.support_address,
                             name=loaded.policy.policy.company),
        attendees=attendees, stamp=now or timezone.now())


def _invitation_to(meeting: Meeting, *, who, for_agent: bool, kind: str,
                   now: datetime) -> None:
    loaded = policy_active()
    request = meeting.request
    ticket = request.ticket
    if for_agent:
        language = who.language if who.language in dict(settings.LANGUAGES) else \
            settings.LANGUAGE_CODE
        tz = selectors.agent_timezone(who)
        url = console_url(request, language)
    else:
        language, tz = ticket.language, loaded.calendar.tz
        url = portal_url(request, language)
    subject, body = texts.invitation_mail(kind=kind, meeting=meeting, ticket=ticket,
                                          language=language, tz=tz, loaded=loaded, url=url,
                                          for_agent=for_agent)
    attachments = ()
    if kind != "reminder":
        method = ics.METHOD_REQUEST if kind in ("confirmed", "rescheduled") else \
            ics.METHOD_CANCEL
        attachments = (MailAttachment(
            filename="invite.ics",
            content=invitation_ics(meeting, method=method, language=language, now=now),
            content_type=f"text/calendar; method={method}; charset=UTF-8"),)
    email_enqueue(to=who.email, subject=subject, body_text=body, ticket=ticket,
                  purpose="meeting.reminder" if kind == "reminder" else "meeting.invitation",
                  attachments=attachments)


def _invitations_send(meeting: Meeting, *, kind: str, now: datetime) -> None:
    client = selectors.client_user(meeting.request)
    if client is not None:
        _invitation_to(meeting, who=client, for_agent=False, kind=kind, now=now)
    _invitation_to(meeting, who=meeting.agent, for_agent=True, kind=kind, now=now)


def meeting_reminders_step(*, now: datetime | None = None, batch: int = 100) -> int:
    """Send the reminders that have come due; returns how many meetings were reminded.

    In one transaction:
    1. Claim up to ``batch`` confirmed meetings whose ``reminder_at`` has passed (indexed),
       through ``xuala.core.claims.claim_due``: the claim clears ``reminder_at`` and stamps
       ``reminder_sent_at``, conditional on (id, reminder_at, status) being as read; a row
       another engine claimed first is left out.
    2. Queue the reminder to the client and the agent (a meeting that has already started
       gets none).
    Why none is reminded twice or missed: the cleared ``reminder_at`` is the claim, and it
    commits with the queued mail. Any number of engines may run.
    """
    now = now or timezone.now()
    reminded = 0
    with transaction.atomic():
        claimed = claim_due(
            Meeting.objects.filter(status=MeetingStatus.CONFIRMED).select_related(
                "request", "request__ticket", "request__ticket__contact", "agent"),
            field="reminder_at", now=now, batch=batch,
            update={"reminder_at": None, "reminder_sent_at": now}, guard=["status"])
        for meeting in claimed:
            if meeting.starts_at <= now:
                continue
            _invitations_send(meeting, kind="reminder", now=now)
            event_record(ticket=meeting.request.ticket, key="meeting.reminded", at=now,
                         meeting=meeting.pk)
            reminded += 1
    return reminded
