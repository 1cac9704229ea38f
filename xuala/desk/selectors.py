"""Reads of tickets. Every client-facing read is scoped to the client's customer here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from xuala.customers.models import Customer
from xuala.desk.models import (
    DONE_STATUSES,
    Attachment,
    Message,
    MessageKind,
    Ticket,
    TicketEvent,
    TicketPause,
)
from xuala.policy.schema import QueueOrder, TicketClass
from xuala.policy.selectors import policy_active

# ---------------------------------------------------------------- the response clock

# §2: the response clock runs from receipt until the first public answer, except while the
# ticket waits (on the client, a quote, a meeting: paused) and once it is resolved or closed.
RESPONSE_CLOCK_RUNNING = (Q(first_response_at__isnull=True, paused_since__isnull=True)
                          & ~Q(status__in=DONE_STATUSES))


def response_clock_running(ticket: Ticket) -> bool:
    """Whether the ticket's response clock runs (the rule of ``RESPONSE_CLOCK_RUNNING``)."""
    return (ticket.first_response_at is None and ticket.paused_since is None
            and ticket.status not in DONE_STATUSES)


@dataclass(frozen=True)
class Promise:
    """What the acknowledgement of a new ticket promises (the mail and the page say it in
    their own words): ``state`` is "answered" (the policy's answer is already given),
    "emergency" (on-call answers by ``due_at``), "waiting" (the answer tells the next step),
    "due" (answered by ``due_at``, aimed at ``target_at``) or "" (no promise); a request
    that came in closed hours is attended from ``attended_from``."""

    state: str
    due_at: datetime | None
    target_at: datetime | None
    attended_from: datetime | None


def acknowledgement_promise(*, ticket: Ticket, out_of_hours_from: datetime | None) -> Promise:
    emergency = ticket.ticket_class == TicketClass.EMERGENCY
    done = ticket.status in DONE_STATUSES
    if done:
        state = "answered"
    elif emergency:
        state = "emergency"
    elif ticket.paused_since is not None:
        state = "waiting"
    elif ticket.due_at is not None:
        state = "due"
    else:
        state = ""
    attended_from = out_of_hours_from if not emergency and not done else None
    return Promise(state, ticket.due_at, ticket.target_at, attended_from)



def tickets_of_customer(*, customer: Customer) -> QuerySet[Ticket]:
    """A customer's tickets, newest first (what its contacts may list)."""
    return (Ticket.objects.filter(customer=customer)
            .select_related("site", "service").order_by("-created_at", "-id"))


def ticket_of_customer(*, customer: Customer | None, pk: int) -> Ticket:
    """One ticket of ``customer`` with its public messages; 404 for any other ticket."""
    if customer is None:
        raise Http404("no such ticket")
    public = Message.objects.exclude(kind=MessageKind.NOTE).select_related("author") \
        .prefetch_related("attachments")
    try:
        return (Ticket.objects.select_related("site", "service", "customer", "contact")
                .prefetch_related(Prefetch("messages", queryset=public, to_attr="public_messages"))
                .get(pk=pk, customer=customer))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("no such ticket") from None


def ticket_for_agent(*, pk: int) -> Ticket:
    """One ticket with every message (notes included) and its events, for the console.

    Attachments and pauses are read only when there are some (most tickets have neither:
    an ``Exists`` in the main queries costs less than a query that finds nothing); read
    them through ``Message.files`` and ``Ticket.pause_list``. The policy version (the whole
    policy file) is not joined: it is read only when something needs it (a triage
    proposal's prepared answer)."""
    messages = (Message.objects.select_related("author")
                .annotate(has_files=Exists(Attachment.objects.filter(message=OuterRef("pk")))))
    try:
        ticket = (Ticket.objects.select_related("site", "service", "customer", "contact",
                                                "assignee")
                  .annotate(has_pauses=Exists(TicketPause.objects.filter(ticket=OuterRef("pk"))))
                  .prefetch_related(Prefetch("messages", queryset=messages),
                                    Prefetch("events", queryset=TicketEvent.objects
                                             .select_related("actor")))
                  .get(pk=pk))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("no such ticket") from None
    with_files = [message for message in ticket.messages.all() if message.has_files]
    if with_files:
        prefetch_related_objects(with_files, "attachments")
    if ticket.has_pauses:
        prefetch_related_objects([ticket], "pauses")
    return ticket


def queue(*, status: str | None = None, ticket_class: str | None = None,
          assignee_id: int | None = None, unassigned: bool = False, customer_id: int | None = None,
          search: str | None = None, include_done: bool = False) -> QuerySet[Ticket]:
    """The agents' queue in the order the policy's ``queue.order`` names (§6.3.2).

    ``plan_first`` (the default, the text's "por encima de otras peticiones"): emergencies,
    then plan clients' requests, then the rest, each group by time left to the due instant
    (desk_queue_plan_idx). ``due_first``: emergencies, then by time left, plan clients
    ahead at an equal due instant (Ticket.Meta.ordering, desk_queue_idx).
    """
    qs = Ticket.objects.select_related("customer", "assignee", "site")
    if not include_done and status is None:
        qs = qs.filter(queue_rank__lt=3)
    given = {"status": status, "ticket_class": ticket_class, "customer_id": customer_id,
             "assignee_id": None if unassigned else assignee_id}
    qs = qs.filter(**{field: value for field, value in given.items() if value})
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    if search:
        term = search.strip().lstrip("#")
        cond = Q(subject__icontains=term) | Q(customer__name__icontains=term)
        if term.isascii() and term.isdigit() and len(term) <= 18:  # "²" and 10**20 are no id
            cond |= Q(pk=int(term))
        qs = qs.filter(cond)
    return qs.order_by(*queue_order())


def queue_order() -> tuple[str, ...]:
    """The queue's ORDER BY columns under the active policy."""
    if policy_active().policy.queue.order == QueueOrder.DUE_FIRST:
        return ("queue_rank", "due_at", "class_rank", "id")
    return ("queue_rank", "class_rank", "due_at", "id")


def breaching_within(*, hours: int = 4, now: datetime | None = None) -> QuerySet[Ticket]:
    """Tickets whose clock runs and whose due instant falls within ``hours`` (or has passed)."""
    now = now or timezone.now()
    return (Ticket.objects.filter(RESPONSE_CLOCK_RUNNING, due_at__lte=now + timedelta(hours=hours))
            .select_related("customer", "assignee").order_by("due_at"))
