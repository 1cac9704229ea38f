"""Agents' settled proposals become examples: read from the ticket's event rows, so the desk
needs no call of its own. ``triage.applied`` by an agent: the proposed rule was right;
``triage.dismissed``: it was wrong and the request is an ordinary one ("other");
``triage.changed`` (a proposal) and ``triage.corrected`` (an applied decision), data
``rule``: the agent's rule."""

from __future__ import annotations

from xuala.triage.models import ExampleSource


def on_ticket_event(sender, instance, created, **kwargs) -> None:
    if not created or not instance.key.startswith("triage."):
        return
    from xuala.triage.services import example_record

    ticket = instance.ticket
    proposed = (instance.data or {}).get("proposed") or ticket.triage_rule or ""
    if instance.key == "triage.applied" and instance.actor_id and proposed:
        example_record(ticket=ticket, label=proposed, source=ExampleSource.APPLIED,
                       proposed=proposed)
    elif instance.key == "triage.dismissed":
        example_record(ticket=ticket, label="other", source=ExampleSource.DISMISSED,
                       proposed=proposed)
    elif instance.key in ("triage.changed", "triage.corrected") and (
            instance.data or {}).get("rule"):
        example_record(ticket=ticket, label=instance.data["rule"], source=ExampleSource.CHANGED,
                       proposed=proposed)
