"""How the console shows a ticket's clock: time left to its due instant, or why none runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from xuala.core.text import duration_text
from xuala.desk.models import DONE_STATUSES, Ticket

# Under this many seconds left a running clock is shown as "soon".
SOON_SECONDS = 4 * 3600


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


@dataclass(frozen=True)
class QueueRow:
    """One queue row with every text already rendered (the page draws 50 of these)."""

    pk: int
    url: str
    reference: str
    ticket_class: str
    class_label: str
    customer: str
    subject: str
    status: str
    status_label: str
    assignee: str
    clock: ClockView
    target_iso: str
    target_text: str
    due_iso: str
    due_text: str


class _ShortTime:
    """Formats instants as every page does (DATETIME_FORMAT, "25 Nov 2026, 17:18") with the
    month names looked up once per page instead of once per cell."""

    def __init__(self, tz):
        from django.utils.dates import MONTHS_3

        self.tz = tz
        self.months = [str(MONTHS_3[i]).title() for i in range(1, 13)]

    def __call__(self, value: datetime | None) -> tuple[str, str]:
        if value is None:
            return "", ""
        local = value.astimezone(self.tz)
        return (value.isoformat(),
                f"{local.day} {self.months[local.month - 1]} {local.year}, {local:%H:%M}")


# The columns the queue reads (plain values: building model instances costs more than the rest).
QUEUE_FIELDS = ("pk", "ticket_class", "subject", "status", "customer__name", "assignee_id",
                "assignee__name", "assignee__email", "due_at", "target_at", "paused_since",
                "first_response_at")


class _Row:
    """A queue row's values with the attribute names clock_view reads."""

    __slots__ = ("due_at", "first_response_at", "paused_since", "status")

    def __init__(self, values: dict):
        self.status = values["status"]
        self.paused_since = values["paused_since"]
        self.first_response_at = values["first_response_at"]
        self.due_at = values["due_at"]


def queue_rows(tickets: list[dict], *, now: datetime, tz, ticket_url: str) -> list[QueueRow]:
    """Pre-render queue rows from QUEUE_FIELDS values; ``ticket_url`` has "{pk}" where the
    ticket's id goes."""
    from xuala.desk.models import ClassChoices, Status

    classes = {value: str(label) for value, label in ClassChoices.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    short = _ShortTime(tz)
    rows = []
    for t in tickets:
        target_iso, target_text = short(t["target_at"])
        due_iso, due_text = short(t["due_at"])
        pk = t["pk"]
        rows.append(QueueRow(
            pk=pk, url=ticket_url.replace("{pk}", str(pk)), reference=f"#{pk}",
            ticket_class=t["ticket_class"],
            class_label=classes.get(t["ticket_class"], t["ticket_class"]),
            customer=t["customer__name"], subject=t["subject"], status=t["status"],
            status_label=statuses.get(t["status"], t["status"]),
            assignee=(t["assignee__name"] or t["assignee__email"]) if t["assignee_id"] else "",
            clock=clock_view(_Row(t), now), target_iso=target_iso, target_text=target_text,
            due_iso=due_iso, due_text=due_text))
    return rows


_ROW = ('<tr data-ticket="{}" class="class-{}"><td><a href="{}">{}</a></td>'
        '<td><span class="badge badge-{}">{}</span></td><td>{}</td>'
        '<td class="wide"><a href="{}">{}</a></td><td><span class="status status-{}">{}</span></td>'
        '<td data-label="{}">{}</td><td><span class="clock clock-{}">{}</span></td>'
        '<td data-label="{}">{}</td><td data-label="{}">{}</td></tr>')


def _time_cell(iso: str, text: str):
    from django.utils.html import format_html

    return format_html('<time datetime="{}">{}</time>', iso, text) if iso else ""


def queue_rows_html(rows: list[QueueRow]):
    """The queue's <tbody> rows, escaped, in one pass (the template engine costs ~10x more)."""
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    empty = mark_safe('<span class="muted">—</span>')
    # Column names for the cells a phone shows without the table's head.
    assignee, target, due = _("Assignee"), _("Target"), _("Due")
    return format_html_join("\n", _ROW, (
        (r.pk, r.ticket_class, r.url, r.reference, r.ticket_class, r.class_label, r.customer,
         r.url, r.subject, r.status, r.status_label, assignee, r.assignee or empty,
         r.clock.state, r.clock.text, target, _time_cell(r.target_iso, r.target_text),
         due, _time_cell(r.due_iso, r.due_text))
        for r in rows))
