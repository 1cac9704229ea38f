"""A ticket's event log in words: one translated sentence for each machine key and its data.

Every key the code writes (``ticket.opened``, ``sla.first_response``…) has its sentence here;
tests/console/test_events.py finds the keys in the source and fails on one without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xuala.console.display import decision_label
from xuala.core.text import duration_text


@dataclass(frozen=True)
class EventLine:
    key: str
    at: datetime
    actor: str
    text: str


class _Words:
    """What a sentence needs to name things: people by id, statuses, classes, instants."""

    def __init__(self, *, people: Mapping[int, str], tz):
        from xuala.desk.models import Channel, ClassChoices, Status

        self.people = people
        self.tz = tz
        self.statuses = {value: str(label) for value, label in Status.choices}
        self.classes = {value: str(label) for value, label in ClassChoices.choices}
        self.channels = {value: str(label) for value, label in Channel.choices}

    def person(self, pk) -> str:
        if pk in (None, ""):
            return _("nobody")
        return self.people.get(pk) or _("agent no. %(id)s") % {"id": pk}

    def status(self, value) -> str:
        return self.statuses.get(value, value or "—")

    def when(self, value) -> str:
        moment = parse_datetime(value) if isinstance(value, str) else value
        if moment is None:
            return str(value or "—")
        local = moment.astimezone(self.tz) if self.tz else moment
        return formats.date_format(local, "DATETIME_FORMAT")


Sentence = Callable[[dict, _Words], str]


def _opened(d: dict, w: _Words) -> str:
    return _("Ticket opened through %(channel)s as %(class)s (policy version %(version)s).") % {
        "channel": w.channels.get(d.get("channel"), d.get("channel") or "—"),
        "class": w.classes.get(d.get("ticket_class"), d.get("ticket_class") or "—"),
        "version": d.get("policy_version", "—")}


def _triage(text: str) -> Sentence:
    def sentence(d: dict, w: _Words) -> str:
        return text % {"decision": decision_label(d.get("decision") or ""),
                       "clause": d.get("clause") or "—"}
    return sentence


def _acknowledged(d: dict, w: _Words) -> str:
    if d.get("out_of_hours_until"):
        return _("Acknowledgement sent to the client; it arrived out of hours and will be "
                 "attended from %(when)s.") % {"when": w.when(d["out_of_hours_until"])}
    return _("Acknowledgement sent to the client.")


def _first_response(d: dict, w: _Words) -> str:
    if d.get("within_target"):
        return _("First response given within the target time.")
    if d.get("within_due", True):
        return _("First response given after the target time, within the due time.")
    return _("First response given after the due time.")


def _status_changed(d: dict, w: _Words) -> str:
    return _("Status changed from %(old)s to %(new)s.") % {
        "old": w.status(d.get("old")), "new": w.status(d.get("new"))}


def _assigned(d: dict, w: _Words) -> str:
    if d.get("assignee") in (None, ""):
        return _("Ticket unassigned.")
    return _("Ticket assigned to %(person)s.") % {"person": w.person(d.get("assignee"))}


def _linked(d: dict, w: _Words) -> str:
    ref = d.get("other_reference") or f"#{d.get('other', '')}"
    if d.get("relation") == "follows":
        return _("Opened as a follow-up of closed ticket %(ref)s.") % {"ref": ref}
    return _("Followed by new ticket %(ref)s.") % {"ref": ref}


def _paused(d: dict, w: _Words) -> str:
    return _("Response clock paused: %(status)s.") % {"status": w.status(d.get("reason"))}


def _mail(text: str) -> Sentence:
    def sentence(d: dict, w: _Words) -> str:
        return text % {"to": d.get("recipient") or "—", "status": d.get("status") or "—"}
    return sentence


def _dropped(d: dict, w: _Words) -> str:
    names = d.get("names") or []
    return ngettext("%(count)d attachment of the incoming mail was not kept: %(names)s.",
                    "%(count)d attachments of the incoming mail were not kept: %(names)s.",
                    len(names)) % {"count": len(names), "names": ", ".join(map(str, names))}


def _quote(text: str) -> Sentence:
    def sentence(d: dict, w: _Words) -> str:
        return text % {"number": d.get("number") or d.get("quote") or "—",
                       "to": d.get("to") or "—", "total": d.get("total") or "—"}
    return sentence


def _meeting(text: str) -> Sentence:
    def sentence(d: dict, w: _Words) -> str:
        return text % {"when": w.when(d.get("starts_at")), "old": w.when(d.get("old_starts_at")),
                       "count": len(d.get("slots") or d.get("times") or [])}
    return sentence


def _recovered(d: dict, w: _Words) -> str:
    return _("Online Sentry: the site is back up after %(time)s down.") % {
        "time": duration_text(int(d.get("downtime_seconds") or 0))}


SENTENCES: dict[str, Sentence] = {
    "ticket.opened": _opened,
    "ticket.acknowledged": _acknowledged,
    "ticket.class_changed": lambda d, w: _("Class changed to %(class)s.") % {
        "class": w.classes.get(d.get("ticket_class"), d.get("ticket_class") or "—")},
    "ticket.replied": lambda d, w: _("Reply sent to the client."),
    "ticket.noted": lambda d, w: _("Internal note added."),
    "ticket.client_message": lambda d, w: _("The client wrote a new message."),
    "ticket.status_changed": _status_changed,
    "ticket.assigned": _assigned,
    "ticket.linked": _linked,
    "triage.applied": _triage(_("Triage applied: %(decision)s (clause §%(clause)s).")),
    "triage.proposed": _triage(_("Triage proposes: %(decision)s (clause §%(clause)s).")),
    "triage.dismissed": lambda d, w: _("Triage proposal dismissed."),
    "triage.changed": _triage(_("Triage changed by the agent to: %(decision)s (clause "
                                "§%(clause)s).")),
    "triage.corrected": _triage(_("Triage corrected by the agent to: %(decision)s (clause "
                                  "§%(clause)s); nothing was sent to the client.")),
    "oncall.paged": lambda d, w: _("On-call team paged (%(to)s).") % {"to": d.get("to") or "—"},
    "oncall.stood_down": lambda d, w: _("On-call team told it is not an emergency (%(to)s).")
    % {"to": d.get("to") or "—"},
    "sla.first_response": _first_response,
    "sla.paused": _paused,
    "sla.resumed": lambda d, w: _("Response clock running again."),
    "sla.target_warning": lambda d, w: _("The target time is near (%(when)s).") % {
        "when": w.when(d.get("stage_at"))},
    "sla.target_missed": lambda d, w: _("Target time missed (%(when)s).") % {
        "when": w.when(d.get("stage_at"))},
    "sla.due_warning": lambda d, w: _("The due time is near (%(when)s).") % {
        "when": w.when(d.get("stage_at"))},
    "sla.breached": lambda d, w: _("Due time breached (%(when)s).") % {
        "when": w.when(d.get("stage_at"))},
    "mail.bounced": _mail(_("A mail to %(to)s bounced (%(status)s).")),
    "mail.delayed": _mail(_("A mail to %(to)s is delayed (%(status)s).")),
    "mail.dsn": _mail(_("Delivery report for a mail to %(to)s (%(status)s).")),
    "mail.attachments_dropped": _dropped,
    "quote.drafted": _quote(_("Quote %(number)s drafted.")),
    "quote.updated": _quote(_("Quote %(number)s changed.")),
    "quote.line_added": _quote(_("Line added to quote %(number)s.")),
    "quote.line_updated": _quote(_("Line of quote %(number)s changed.")),
    "quote.line_removed": _quote(_("Line removed from quote %(number)s.")),
    "quote.sent": _quote(_("Quote %(number)s sent to %(to)s (total %(total)s).")),
    "quote.expired": _quote(_("Quote %(number)s expired unanswered.")),
    "quote.accepted": _quote(_("The client accepted quote %(number)s.")),
    "quote.rejected": _quote(_("The client declined quote %(number)s.")),
    "quote.withdrawn": _quote(_("Quote %(number)s withdrawn.")),
    "meeting.requested": _meeting(_("Meeting requested.")),
    "meeting.offered": _meeting(_("Meeting times offered to the client (%(count)s).")),
    "meeting.proposed": _meeting(_("The client proposed other meeting times (%(count)s).")),
    "meeting.confirmed": _meeting(_("Meeting confirmed for %(when)s.")),
    "meeting.rescheduled": _meeting(_("Meeting moved from %(old)s to %(when)s.")),
    "meeting.cancelled": _meeting(_("Meeting cancelled.")),
    "meeting.request_cancelled": _meeting(_("Meeting request withdrawn.")),
    "meeting.held": _meeting(_("Meeting held.")),
    "meeting.reminded": _meeting(_("Meeting reminder sent.")),
    "sentry.recovered": _recovered,
    "sentry.recovery_told": lambda d, w: _("The client was told the site works again."),
    "sentry.incident_opened": lambda d, w: _("Online Sentry opened this ticket for an incident."),
    "sentry.emergency_checked": lambda d, w: (
        _("Online Sentry checked the reported failure and confirmed it.") if d.get("confirmed")
        else _("Online Sentry checked the reported failure and did not confirm it.")),
    "sentry.incident_joined": lambda d, w: _(
        "Online Sentry added an incident of the same site to this ticket."),
    "mail.failed": lambda d, w: _("A mail to %(to)s could not be sent: %(why)s") % {
        "to": d.get("to") or "—", "why": d.get("error") or "—"},
    "mail.message_id_reused": lambda d, w: _(
        "An incoming mail reused the identifier of an earlier one; it was kept apart."),
    "quote.request_withdrawn": lambda d, w: _(
        "The client withdrew the request for a quote."),
    "urgent.opened": lambda d, w: _("Urgent review opened (§6.3.6): %(cause)s.") % {
        "cause": _cause(d)},
    "urgent.joined": lambda d, w: _(
        "Another incident of the same site and cause joined this urgent review (%(cause)s, "
        "%(count)s in all).") % {"cause": _cause(d), "count": d.get("incidents") or "—"},
    "wsa.findings_joined": lambda d, w: _(
        "New findings of the security audit of the same site were added to this ticket."),
    "updates.report_joined": lambda d, w: _(
        "A failed update of the same site was added to this ticket."),
}


def _cause(d: dict) -> str:
    from xuala.desk.models import UrgentCause, choice_label

    return choice_label(UrgentCause, d.get("cause") or "—")


def event_text(key: str, data: dict | None, *, people: Mapping[int, str], tz=None) -> str:
    """The sentence for one event; an unknown key (an old row) is shown as it is stored."""
    return _sentence(key, data, _Words(people=people, tz=tz))


def _sentence(key: str, data, words: _Words) -> str:
    sentence = SENTENCES.get(key)
    if sentence is None:
        return key
    return sentence(data if isinstance(data, dict) else {}, words)


def event_lines(events, *, people: Mapping[int, str], tz) -> list[EventLine]:
    """A ticket's events, oldest first, each as who did it and what happened in words."""
    words = _Words(people=people, tz=tz)
    lines = []
    for event in events:
        actor = event.actor
        lines.append(EventLine(
            key=event.key, at=event.at,
            actor=(actor.get_full_name() or actor.email) if actor else _("the system"),
            text=_sentence(event.key, event.data, words)))
    return lines
