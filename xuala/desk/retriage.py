"""A triage proposal decided again, under another rule: an agent's "change to rule X", or the
one-shot check's live facts showing a fault of the website rather than of the server (§6.2);
and an applied decision corrected by an agent.

Both carry out the rule's decision as if the client had picked it in the form, with the
customer's plans for the site. The events name the rule proposed before (``proposed``), so
the learned triage takes the agent's change as a labelled example.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from xuala.customers.selectors import customer_coverage
from xuala.desk.clocks import policy_of_version, refresh_queue_fields
from xuala.desk.decisions import decision_apply, oncall_stand_down, ticket_triage_apply
from xuala.desk.errors import InvalidTransition
from xuala.desk.events import event_record
from xuala.desk.models import DONE_STATUSES, Ticket, TriageState
from xuala.desk.triage import Facts, Triage, plan_extras, rule_triage, rules_of
from xuala.policy.schema import Decision


def triage_rule_choices(ticket: Ticket) -> list[tuple[str, str]]:
    """The rules an agent may change a proposal to (key, label in the ticket's language)."""
    policy = policy_of_version(ticket.policy_version).policy
    language = "en" if ticket.language == "en" else "es"
    return [(rule.key, getattr(rule.label, language)) for rule in rules_of(policy)]


def _rule_triage(ticket: Ticket, rule: str, *, at: datetime, site_id: int | None) -> Triage:
    loaded = policy_of_version(ticket.policy_version)
    if rule not in {r.key for r in rules_of(loaded.policy)}:
        raise InvalidTransition(f"{rule!r} is not a scope rule of the ticket's policy",
                                code="unknown_rule")
    coverage = customer_coverage(customer=ticket.customer,
                                 on=at.astimezone(loaded.calendar.tz).date())
    facts = Facts(is_client=True, has_plan=coverage.covers_site(site_id), category=None,
                  text="", language=ticket.language,
                  extras=plan_extras(loaded.policy, coverage.plan_keys))
    return rule_triage(loaded.policy, facts, rule)


def _settle(ticket: Ticket, decided: Triage, *, state: str, actor, at: datetime) -> None:
    """Write the new rule on the ticket (and its class when the decision is applied)."""
    ticket.triage_rule, ticket.triage_decision = decided.rule, decided.decision
    ticket.triage_clause, ticket.triage_state = decided.clause, state
    fields = ["triage_rule", "triage_decision", "triage_clause", "triage_state", "updated_at"]
    if state == TriageState.APPLIED and ticket.ticket_class != decided.ticket_class:
        ticket.ticket_class = decided.ticket_class  # a plan's urgent review is priority
        ticket.sla_stage = 0
        refresh_queue_fields(ticket)
        ticket.save()
        event_record(ticket=ticket, key="ticket.class_changed", actor=actor, at=at,
                     ticket_class=decided.ticket_class.value)
    else:
        ticket.save(update_fields=fields)


def ticket_triage_change(*, ticket: Ticket, actor, rule: str) -> Ticket:
    """The agent says the proposal is wrong and picks the rule: its decision is carried out
    (the prepared answer of that rule goes out) and the change is a labelled example."""
    if ticket.triage_state != TriageState.PROPOSED:
        raise InvalidTransition("there is no triage proposal to change", code="no_proposal")
    if rule == ticket.triage_rule:
        return ticket_triage_apply(ticket=ticket, actor=actor)
    at = timezone.now()
    decided = _rule_triage(ticket, rule, at=at, site_id=ticket.site_id)
    with transaction.atomic():
        event_record(ticket=ticket, key="triage.changed", actor=actor, at=at,
                     rule=decided.rule, decision=decided.decision, clause=decided.clause,
                     proposed=ticket.triage_rule)
        _settle(ticket, decided, state=TriageState.APPLIED, actor=actor, at=at)
        decision_apply(ticket, decided.decision, decided.rule, decided.clause, actor=actor,
                       at=at)
    return ticket


def ticket_triage_correct(*, ticket: Ticket, actor, rule: str) -> Ticket:
    """The agent says a decision already applied (by the form's category, a sure model or an
    agent) was the wrong rule: the ticket's rule, decision, clause and class become those of
    ``rule``, and the correction is a labelled example for the learned triage. Nothing is
    sent and the status stays: what the first decision did (an answer, a meeting offered, a
    status) the agent changes with the ticket's usual actions, seeing it."""
    if ticket.triage_state != TriageState.APPLIED:
        raise InvalidTransition("there is no applied triage decision to correct",
                                code="not_applied")
    if rule == ticket.triage_rule:
        raise InvalidTransition("that is already the ticket's rule", code="same_rule")
    at = timezone.now()
    decided = _rule_triage(ticket, rule, at=at, site_id=ticket.site_id)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        event_record(ticket=ticket, key="triage.corrected", actor=actor, at=at,
                     rule=decided.rule, decision=decided.decision, clause=decided.clause,
                     proposed=ticket.triage_rule, was=ticket.triage_decision)
        _settle(ticket, decided, state=TriageState.APPLIED, actor=actor, at=at)
    return ticket


def _emergency_from_the_form(ticket: Ticket) -> bool:
    """The emergency was applied at once because the client picked its category in the form
    (not by an agent, nor confirmed by a check), and the ticket is still open."""
    return (ticket.triage_state == TriageState.APPLIED
            and ticket.triage_decision == Decision.EMERGENCY
            and ticket.category == ticket.triage_rule
            and ticket.status not in DONE_STATUSES
            and not ticket.events.filter(
                Q(key__startswith="triage.", actor__isnull=False)
                | Q(key="triage.applied", data__has_key="confirmed_by")).exists())


def ticket_site_fault_confirm(*, ticket: Ticket, at: datetime, site_id: int | None,
                              facts: dict) -> Ticket:
    """§6.2: the one-shot check found the client's website failing while its server and the
    other sites on that server work: not an emergency but a fault of the website, covered by
    a plan's urgent review (§6.3.6), a plan offered without one. Applied by the system like
    a confirmed emergency; ``facts`` (what was checked) goes with the event.

    It decides a proposal (free text that says the site is down), and also an emergency the
    client's pick of the "site down" category applied at once: the category says what the
    client sees, the check says whose fault it is. On-call, paged for that emergency, is
    told to stand down. A decision an agent made is never overturned."""
    decided = _rule_triage(ticket, "site_fault", at=at, site_id=site_id)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        from_form = _emergency_from_the_form(ticket)
        if ticket.triage_state != TriageState.PROPOSED and not from_form:
            return ticket
        event_record(ticket=ticket, key="triage.applied", actor=None, at=at,
                     decision=decided.decision, clause=decided.clause, rule=decided.rule,
                     confirmed_by="sentry", proposed=ticket.triage_rule, facts=facts,
                     **({"replaced": Decision.EMERGENCY.value} if from_form else {}))
        _settle(ticket, decided, state=TriageState.APPLIED, actor=None, at=at)
        if from_form and ticket.events.filter(key="oncall.paged").exists():
            oncall_stand_down(ticket, at, because="the check found the website alone "
                              "failing while its server and the other sites on it work "
                              "(a fault of the website, §6.2)")
        decision_apply(ticket, decided.decision, decided.rule, decided.clause, actor=None,
                       at=at)
    return ticket
