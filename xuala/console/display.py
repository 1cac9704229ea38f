"""How the console shows a ticket's clock: time left to its due instant, or why none runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from xuala.desk.models import DONE_STATUSES, Ticket

# Under this many seconds left a running clock is shown as "soon".
SOON_SECONDS = 4 * 3600


def duration_text(seconds: int) -> str:
    """A short duration: "2 d 5 h", "3 h 20 min", "12 min" (whole minutes, rounded down)."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def time_left_text(due_at: datetime, now: datetime) -> str:
    seconds = int((due_at - now).total_seconds())
    if seconds < 0:
        return _("overdue by %(time)s") % {"time": duration_text(-seconds)}
    return duration_text(seconds)


@dataclass(frozen=True)
class ClockView:
    state: str  # overdue, soon, running, paused, answered, done, none
    text: str


def clock_view(ticket: Ticket, now: datetime) -> ClockView:
    if ticket.status in DONE_STATUSES:
        return ClockView("done", "—")
    if ticket.paused_since is not None:
        return ClockView("paused", _("paused"))
    if ticket.first_response_at is not None:
        return ClockView("answered", _("answered"))
    if ticket.due_at is None:
        return ClockView("none", "—")
    seconds = (ticket.due_at - now).total_seconds()
    state = "overdue" if seconds < 0 else "soon" if seconds < SOON_SECONDS else "running"
    return ClockView(state, time_left_text(ticket.due_at, now))


def decision_label(decision: str) -> str:
    labels = {
        "covered": _("Covered"),
        "refused": _("Out of scope: answer and close"),
        "needs_plan": _("Needs a coverage plan"),
        "needs_quote": _("Needs a quote first"),
        "meeting": _("Personal help: arrange a meeting"),
        "emergency": _("Web-service emergency"),
    }
    return labels.get(decision, decision)
