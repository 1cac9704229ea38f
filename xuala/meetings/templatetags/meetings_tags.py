"""Template helpers of meetings: a ticket's meeting request and times in the policy's zone."""

from __future__ import annotations

from django import template

from xuala.meetings import selectors
from xuala.meetings.texts import slot_label
from xuala.policy.selectors import policy_active

register = template.Library()


@register.simple_tag
def meeting_request_of(ticket):
    """The ticket's live meeting request, else its latest one, else None (the caller has
    already checked that the reader may see ``ticket``)."""
    return selectors.request_of_ticket(ticket)


@register.simple_tag
def meeting_may_be_offered(meeting_request) -> bool:
    """Whether the ticket page offers meeting times (the rule is the selector's)."""
    return selectors.meeting_may_be_offered(meeting_request)


@register.filter
def meeting_when(item) -> str:
    """A meeting or slot as "jueves 26 noviembre 2026, 09:00–09:30 (CET)" (policy zone)."""
    if not item:
        return ""
    return slot_label(item.starts_at, item.ends_at, policy_active().calendar.tz)
