"""Reads of meetings. Client-facing reads are scoped to the client's customer here."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from xuala.accounts.models import Role, User
from xuala.customers.models import Customer
from xuala.meetings.models import (
    DEFAULT_AGENT_TIMEZONE,
    FINISHED_REQUEST_STATUSES,
    OPEN_REQUEST_STATUSES,
    AgentAvailability,
    AgentProfile,
    AvailabilityException,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    RequestStatus,
)
from xuala.meetings.slots import Availability, DayException


def agent_timezone(agent) -> ZoneInfo:
    profile = AgentProfile.objects.filter(agent=agent).only("timezone").first()
    return ZoneInfo(profile.timezone if profile else DEFAULT_AGENT_TIMEZONE)


def availability_of(agent, *, since: datetime | None = None) -> Availability:
    """The agent's weekly windows and exceptions, as slot generation takes them."""
    tz = agent_timezone(agent)
    weekly: dict[int, list] = {}
    for row in AgentAvailability.objects.filter(agent=agent).order_by("weekday", "starts"):
        weekly.setdefault(row.weekday, []).append((row.starts, row.ends))
    exceptions = AvailabilityException.objects.filter(agent=agent)
    if since is not None:
        exceptions = exceptions.filter(date__gte=since.astimezone(tz).date())
    return Availability(timezone=tz, weekly=weekly, exceptions=tuple(
        DayException(date=e.date, kind=e.kind, starts=e.starts, ends=e.ends) for e in exceptions))


def busy_of(agent, *, start: datetime, end: datetime,
            exclude: Meeting | None = None) -> list[tuple[datetime, datetime]]:
    """The agent's confirmed meetings that meet [start, end)."""
    rows = Meeting.objects.filter(agent=agent, status=MeetingStatus.CONFIRMED,
                                  starts_at__lt=end, ends_at__gt=start)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return list(rows.values_list("starts_at", "ends_at"))


def agents_with_availability() -> QuerySet[User]:
    return (User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True,
                                meeting_availability__isnull=False)
            .distinct().order_by("pk"))


def agents_for_offer(request: MeetingRequest) -> list[User]:
    """Whose time to offer: the ticket's assignee if it keeps availability, else every agent
    who does (the assignee first)."""
    everyone = list(agents_with_availability())
    assignee_id = request.ticket.assignee_id
    mine = [agent for agent in everyone if agent.pk == assignee_id]
    return mine or everyone


def agents_all() -> QuerySet[User]:
    return User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True).order_by(
        "name", "email")


# ---------------------------------------------------------------- client side

def _with_details(qs: QuerySet[MeetingRequest]) -> QuerySet[MeetingRequest]:
    return (qs.select_related("ticket", "agent", "customer")
            .prefetch_related("slots", "proposals",
                              Prefetch("meetings", queryset=Meeting.objects.order_by(
                                  "-created_at", "-id"))))


def request_of_customer(*, customer: Customer | None, pk: int) -> MeetingRequest:
    """One meeting request of ``customer``; 404 for any other."""
    if customer is None:
        raise Http404("no such meeting request")
    try:
        return _with_details(MeetingRequest.objects).get(pk=pk, customer=customer)
    except (MeetingRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("no such meeting request") from None


def request_of_ticket(ticket) -> MeetingRequest | None:
    """The ticket's live meeting request, else its latest one, else None."""
    rows = list(MeetingRequest.objects.filter(ticket=ticket).order_by("-created_at", "-id"))
    live = [r for r in rows if r.status not in FINISHED_REQUEST_STATUSES]
    return (live or rows or [None])[0]


def client_user(request: MeetingRequest):
    """Who the client side of the meeting is: the ticket's contact, else a contact of the
    customer (the primary one first)."""
    if request.ticket.contact_id:
        return request.ticket.contact
    contact = (request.customer.contacts.select_related("user")
               .order_by("-is_primary", "pk").first())
    return contact.user if contact else None


def meeting_may_be_offered(request: MeetingRequest | None) -> bool:
    """Whether an agent may offer meeting times from the ticket (§4): with no request yet,
    while the request waits for a time, or once its meeting was held or cancelled (a new
    request); never over a meeting that is booked."""
    return request is None or request.is_open or request.status in FINISHED_REQUEST_STATUSES


def meeting_current(request: MeetingRequest) -> Meeting | None:
    """The request's meeting (confirmed if any, else the latest cancelled one)."""
    meetings = sorted(request.meetings.all(), key=lambda m: (m.status != MeetingStatus.CONFIRMED,
                                                              -m.pk))
    return meetings[0] if meetings else None


# ---------------------------------------------------------------- console

def request_for_agent(*, pk: int) -> MeetingRequest:
    return get_object_or_404(_with_details(MeetingRequest.objects), pk=pk)


def meeting_for_agent(*, pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("request", "request__ticket", "agent"),
                             pk=pk)


def requests_to_handle() -> QuerySet[MeetingRequest]:
    """Requests waiting for a time to be settled; the client's proposals first."""
    rank = Case(When(status=RequestStatus.PROPOSED_BY_CLIENT, then=Value(0)),
                When(status=RequestStatus.REQUESTED, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return (MeetingRequest.objects.filter(status__in=list(OPEN_REQUEST_STATUSES))
            .select_related("ticket", "customer").annotate(rank=rank)
            .order_by("rank", "created_at", "id"))


def meetings_upcoming(*, agent=None, now: datetime | None = None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    rows = Meeting.objects.filter(status=MeetingStatus.CONFIRMED, ends_at__gt=now)
    if agent is not None:
        rows = rows.filter(agent=agent)
    return rows.select_related("request", "request__ticket", "request__customer", "agent")


def meetings_to_close(*, now: datetime | None = None) -> QuerySet[Meeting]:
    """Meetings that have ended but whose request is not yet marked held."""
    now = now or timezone.now()
    return (Meeting.objects.filter(status=MeetingStatus.CONFIRMED, ends_at__lte=now)
            .exclude(request__status__in=list(FINISHED_REQUEST_STATUSES))
            .select_related("request", "request__ticket", "request__customer", "agent"))


def availability_rows(agent) -> tuple[list[AgentAvailability], list[AvailabilityException]]:
    today = timezone.now().astimezone(agent_timezone(agent)).date()
    return (list(AgentAvailability.objects.filter(agent=agent)),
            list(AvailabilityException.objects.filter(agent=agent, date__gte=today)))
