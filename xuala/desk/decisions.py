"""Triage decisions carried out: the answer that cites the clause, the status, the page.

A decision another app completes (a meeting request for ``meeting``) is done by the handler
that app registers with ``decision_handler_register`` in its AppConfig.ready, so the desk
does not import the apps built on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xuala.desk import texts
from xuala.desk.clocks import policy_of_version, refresh_queue_fields
from xuala.desk.errors import InvalidTransition
from xuala.desk.events import event_record
from xuala.desk.messages import public_answer_send
from xuala.desk.models import MessageKind, Status, Ticket, TriageState
from xuala.desk.statuses import ticket_set_status
from xuala.notify.services import email_enqueue
from xuala.policy.schema import Decision, TicketClass

# What another app does after the desk carried out a decision (a meeting request for
# ``meeting``): one handler per decision, registered by that app when Django starts.
DecisionHandler = Callable[..., object]
_handlers: dict[str, DecisionHandler] = {}


def decision_handler_register(decision: str, handler: DecisionHandler) -> None:
    """``handler(ticket=..., actor=..., at=...)`` runs after the desk applies ``decision``."""
    _handlers[Decision(decision).value] = handler


def _tell_oncall(ticket: Ticket, at: datetime, *, headline: str, body_text: str,
                 purpose: str, key: str) -> None:
    """A mail to the on-call team about ``ticket``, and the event that says it went."""
    email_enqueue(to=settings.XUALA_ONCALL_EMAIL,
                  subject=f"[{ticket.reference}] {headline} {ticket.customer}: {ticket.subject}",
                  body_text=body_text, purpose=purpose, ticket=ticket)
    event_record(ticket=ticket, key=key, at=at, to=settings.XUALA_ONCALL_EMAIL)


def _page_oncall(ticket: Ticket, at: datetime) -> None:
    first = ticket.messages.first()
    _tell_oncall(ticket, at, headline="EMERGENCY", purpose="oncall.page", key="oncall.paged",
                 body_text=(f"Web-service emergency {ticket.reference} for {ticket.customer}.\n"
                            f"Site: {ticket.site or '-'}\nDue: {ticket.due_at.isoformat()}\n\n"
                            f"{first.body_text if first else ''}"))


def oncall_stand_down(ticket: Ticket, at: datetime, *, because: str) -> None:
    """Tell the on-call team that a ticket it was paged for is not an emergency after all."""
    _tell_oncall(ticket, at, headline="Not an emergency:", purpose="oncall.stand_down",
                 key="oncall.stood_down",
                 body_text=(f"{ticket.reference} for {ticket.customer} is no longer a "
                            f"web-service emergency: {because}\nSite: {ticket.site or '-'}\n"))


def decision_apply(ticket: Ticket, decision: str, rule: str, clause: str, *, actor,
                   at: datetime) -> None:
    """Carry out a triage decision on a saved ticket."""
    loaded = policy_of_version(ticket.policy_version)
    if decision in (Decision.REFUSED, Decision.NEEDS_PLAN):
        answer = texts.policy_answer(decision=decision, rule_key=rule, clause=clause,
                                     loaded=loaded, language=ticket.language)
        public_answer_send(ticket, answer, author=actor, at=at,
                           kind=MessageKind.AUTO if actor is None else MessageKind.REPLY)
        ticket_set_status(ticket=ticket, status=Status.RESOLVED, actor=actor, at=at,
                          reason=f"triage.{decision}")
    elif decision in (Decision.NEEDS_QUOTE, Decision.MEETING):
        answer = texts.policy_answer(decision=decision, rule_key=rule, clause=clause,
                                     loaded=loaded, language=ticket.language)
        public_answer_send(ticket, answer, author=actor, at=at,
                           kind=MessageKind.AUTO if actor is None else MessageKind.REPLY)
        status = Status.WAITING_QUOTE if decision == Decision.NEEDS_QUOTE else Status.MEETING
        ticket_set_status(ticket=ticket, status=status, actor=actor, at=at,
                          reason=f"triage.{decision}")
        handler = _handlers.get(Decision(decision).value)
        if handler is not None:  # §4: the meetings app offers the client times
            handler(ticket=ticket, actor=actor, at=at)
    elif decision == Decision.EMERGENCY:
        if ticket.ticket_class != TicketClass.EMERGENCY:
            ticket.ticket_class = TicketClass.EMERGENCY
            ticket.sla_stage = 0
            refresh_queue_fields(ticket)
            ticket.save()
            event_record(ticket=ticket, key="ticket.class_changed", actor=actor, at=at,
                         ticket_class=TicketClass.EMERGENCY.value)
        _page_oncall(ticket, at)


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
        decision_apply(ticket, ticket.triage_decision, ticket.triage_rule,
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
        decision_apply(ticket, Decision.EMERGENCY, ticket.triage_rule, ticket.triage_clause,
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
