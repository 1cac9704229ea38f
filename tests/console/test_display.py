"""How the console writes time left to a ticket's due instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from xuala.console.display import time_left_text
from xuala.core.text import duration_text

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 min"), (59, "0 min"), (12 * 60, "12 min"), (3 * 3600 + 20 * 60, "3 h 20 min"),
    (3 * 3600 + 20 * 60 + 59, "3 h 20 min"), (24 * 3600, "1 d 0 h"),
    (2 * 86400 + 5 * 3600 + 59 * 60, "2 d 5 h"),
])
def test_it_writes_durations_in_days_hours_and_minutes(seconds, text):
    assert duration_text(seconds) == text


def test_it_writes_time_left_and_overdue_time_in_the_active_language():
    with translation.override("en"):
        assert time_left_text(NOW + timedelta(hours=3, minutes=20), NOW) == "3 h 20 min"
        assert time_left_text(NOW - timedelta(minutes=90), NOW) == "overdue by 1 h 30 min"
    with translation.override("es"):
        assert time_left_text(NOW - timedelta(minutes=90), NOW) == "vencido hace 1 h 30 min"


# ---------------------------------------------------------------- queue rows without the ORM

class _Reads:
    """A ticket that records which of its attributes are read."""

    def __init__(self, ticket, seen: set[str]):
        object.__setattr__(self, "_ticket", ticket)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name):
        self._seen.add(name)
        return getattr(self._ticket, name)


def test_the_queue_s_plain_rows_carry_every_ticket_field_the_clock_reads():
    """Fails when clock_view starts reading a ticket field that QUEUE_FIELDS and the plain
    row (display._Row) do not carry."""
    from xuala.console.display import QUEUE_FIELDS, _Row, clock_view
    from xuala.desk.models import Status, Ticket

    seen: set[str] = set()
    for values in [dict(status=Status.CLOSED), dict(status=Status.OPEN, paused_since=NOW),
                   dict(status=Status.OPEN, first_response_at=NOW),
                   dict(status=Status.OPEN, due_at=None),
                   dict(status=Status.OPEN, due_at=NOW + timedelta(hours=30))]:
        clock_view(_Reads(Ticket(**values), seen), NOW)
    assert seen <= set(_Row.__slots__) <= set(QUEUE_FIELDS)


@pytest.mark.django_db
def test_queue_rows_and_their_html_show_what_the_ticket_model_says(plan_customer, agent_user):
    from html.parser import HTMLParser

    from tests.console.conftest import madrid, open_ticket
    from xuala.console.display import QUEUE_FIELDS, clock_view, queue_rows, queue_rows_html
    from xuala.desk.models import Status, Ticket
    from xuala.desk.services import ticket_assign, ticket_set_status

    first, second = open_ticket(plan_customer), open_ticket(plan_customer, subject="<b>Ojo</b>")
    ticket_assign(ticket=first, assignee=agent_user, actor=agent_user)
    ticket_set_status(ticket=second, status=Status.WAITING_CLIENT, actor=agent_user,
                      at=madrid(25, 13))
    now = madrid(25, 15)
    tickets = list(Ticket.objects.select_related("customer", "assignee").order_by("pk"))
    values = list(Ticket.objects.order_by("pk").values(*QUEUE_FIELDS))
    with translation.override("en"):
        rows = queue_rows(values, now=now, tz=UTC, ticket_url="/t/{pk}/")
        html = str(queue_rows_html(rows))
        expected = [
            [f"#{t.pk}", t.get_ticket_class_display(), t.customer.name, t.subject,
             t.get_status_display(),
             (t.assignee.name or t.assignee.email) if t.assignee else "—",
             clock_view(t, now).text, row.target_text, row.due_text]
            for t, row in zip(tickets, rows, strict=True)]
        clocks = [clock_view(t, now) for t in tickets]

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows: list[list[str]] = []
            self.cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag == "td":
                self.cell = []

        def handle_endtag(self, tag):
            if tag == "td":
                self.rows[-1].append("".join(self.cell).strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    parser = Cells()
    parser.feed(html)
    assert parser.rows == expected
    assert [row.clock for row in rows] == clocks
    assert "&lt;b&gt;Ojo&lt;/b&gt;" in html
