"""The console's read of one ticket: everything on it, with no query that finds nothing."""

from __future__ import annotations

import pytest

from tests.console.conftest import open_ticket
from xuala.desk.models import MessageKind, Status
from xuala.desk.selectors import ticket_for_agent
from xuala.desk.services import Upload, ticket_note, ticket_set_status

pytestmark = pytest.mark.django_db


def test_a_ticket_without_files_or_pauses_is_read_in_three_queries(
        hosting_customer, django_assert_num_queries):
    ticket = open_ticket(hosting_customer, body="La web tarda mucho en cargar.")
    with django_assert_num_queries(3):  # the ticket, its messages, its events
        read = ticket_for_agent(pk=ticket.pk)
        assert [m.files for m in read.messages.all()] == [[] for _ in read.messages.all()]
        assert read.pause_list == []
        assert "ticket.opened" in {e.key for e in read.events.all()}
    assert "La web tarda mucho en cargar." in read.messages.all()[0].body_text


def test_files_and_pauses_are_read_when_there_are_some(hosting_customer, agent_user,
                                                      django_assert_num_queries):
    ticket = open_ticket(hosting_customer)
    ticket_note(ticket=ticket, author=agent_user, body_text="Captura adjunta.",
                uploads=[Upload(filename="captura.png", content=b"\x89PNG...",
                                content_type="image/png")])
    ticket_set_status(ticket=ticket, status=Status.WAITING_CLIENT, actor=agent_user)
    with django_assert_num_queries(5):  # ... and the note's files, and the pauses
        read = ticket_for_agent(pk=ticket.pk)
        note = next(m for m in read.messages.all() if m.kind == MessageKind.NOTE)
        assert [f.filename for f in note.files] == ["captura.png"]
        assert [m.files for m in read.messages.all() if m.pk != note.pk] == [
            [] for m in read.messages.all() if m.pk != note.pk]
        assert [p.reason for p in read.pause_list] == [Status.WAITING_CLIENT]
        assert read.pause_list[0].ended_at is None


def test_an_unknown_ticket_is_a_404(db):
    from django.http import Http404

    with pytest.raises(Http404):
        ticket_for_agent(pk=987654321)
