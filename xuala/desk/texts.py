"""Client-facing texts the desk writes (acknowledgements, policy answers), in their language."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django.utils import formats, translation
from django.utils.translation import gettext as _

from xuala.desk.selectors import acknowledgement_promise
from xuala.policy.loader import LoadedPolicy
from xuala.policy.schema import Decision


def local_time(value: datetime, loaded: LoadedPolicy) -> str:
    """``value`` to the minute in the policy's zone, in the active language's words."""
    local = value.astimezone(loaded.calendar.tz)
    return _local_minute(local.replace(second=0, microsecond=0), translation.get_language())


@lru_cache(maxsize=1024)
def _local_minute(local: datetime, language: str | None) -> str:
    # Many tickets of a busy hour are due in the same minute: their text is worked out once.
    # ``language`` is part of the key only: the caller's active language formats it.
    return f"{formats.date_format(local, 'l j F Y')}, {local:%H:%M} ({local.tzname()})"


def acknowledgement(*, ticket, loaded: LoadedPolicy,
                    out_of_hours_from: datetime | None) -> tuple[str, str]:
    """Subject and text of the acknowledgement of a new ticket."""
    with translation.override(ticket.language):
        subject = _("[%(ref)s] We have received your request: %(subject)s") % {
            "ref": ticket.reference, "subject": ticket.subject}
        lines = [
            _("Hello,"),
            "",
            _("We have received your request and opened ticket %(ref)s.") % {
                "ref": ticket.reference},
        ]
        promise = acknowledgement_promise(ticket=ticket, out_of_hours_from=out_of_hours_from)
        if promise.state == "emergency":
            lines.append(_("It is being handled as a web-service emergency: the on-call team has "
                           "been alerted and will answer by %(due)s.") % {
                "due": local_time(promise.due_at, loaded)})
        elif promise.state == "due":
            lines.append(_("We will answer by %(due)s at the latest; we aim to answer by "
                           "%(target)s.") % {"due": local_time(promise.due_at, loaded),
                                             "target": local_time(promise.target_at, loaded)})
        if promise.attended_from:
            lines.append(_("Your request arrived outside our opening hours; it will be attended "
                           "from %(when)s.") % {"when": local_time(promise.attended_from, loaded)})
        lines += ["", _("You can follow it in your Client Area or by answering this e-mail."),
                  "", loaded.policy.policy.company]
    return subject, "\n".join(lines)


def policy_answer(*, decision: str, rule_key: str, clause: str, loaded: LoadedPolicy,
                  language: str) -> str:
    """The courteous answer for a decision that stops the request, citing its clause."""
    policy = loaded.policy
    with translation.override(language):
        cite = _("(Technical Support Policy, clause %(clause)s)") % {"clause": clause}
        if rule_key == "not_client":
            body = _("Our technical support is for clients with a contracted service. We could "
                     "not find an active service for you.")
        elif decision == Decision.NEEDS_PLAN:
            plans = ", ".join(plan.name.get(language) for plan in policy.plans)
            body = _("The basic cover of our hosting plans guarantees that our servers work, "
                     "but not faults of the website itself or its transactions. To have us "
                     "solve it, you need one of our Technical Coverage Policy plans: "
                     "%(plans)s.") % {"plans": plans}
        elif decision == Decision.NEEDS_QUOTE and rule_key in policy.extras:
            plans = [plan.name.get(language) for plan in policy.plans
                     if rule_key in plan.extras]
            body = _("“%(extra)s” is not included in your plan, so it has an additional cost: "
                     "we will send you a quote first and start the work once you accept it.") % {
                "extra": policy.extras[rule_key].label.get(language)}
            if plans:
                body += " " + _("These plans include it: %(plans)s.") % {
                    "plans": ", ".join(plans)}
        elif decision == Decision.NEEDS_QUOTE:
            body = _("This change has an additional cost. We will send you a quote first and "
                     "start the work once you accept it.")
        elif decision == Decision.MEETING:
            body = _("Personal help is given in a virtual meeting, never by phone. We will "
                     "offer you times that suit both sides.")
        else:
            rule = next((r for r in policy.scope if r.key == rule_key), None)
            if rule and rule.answer:
                body = rule.answer.get(language)
            else:
                body = _("This request is outside the scope of our technical support.")
            body += " " + _("We cover our own server infrastructure, %(infra)s.") % {
                "infra": policy.policy.infrastructure}
        return f"{body} {cite}"
