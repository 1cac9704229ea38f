"""What breaches soon: tickets due within the chosen window, overdue ones first."""

from __future__ import annotations

import re

import pytest
import time_machine

from tests.console.conftest import madrid, open_ticket

NOW = madrid(25, 12)  # Wednesday 25 November 2026, 12:00 in Madrid


def listed(response) -> list[int]:
    assert response.status_code == 200
    if 'id="breaching"' not in response.text:
        return []
    table = response.text.split('id="breaching"', 1)[1].split("</table>", 1)[0]
    return [int(pk) for pk in re.findall(r'<tr data-ticket="(\d+)"', table)]


@pytest.fixture
def due_soon_and_later(hosting_customer):
    # Emergencies are due 4 h after receipt on a 24/7 clock.
    overdue = open_ticket(hosting_customer, subject="Caida de ayer", at=madrid(25, 7),
                          ticket_class="emergency")
    in_two_hours = open_ticket(hosting_customer, subject="Caida ahora", at=madrid(25, 10),
                               ticket_class="emergency")
    # Standard, Monday 18:00 + 72 working hours: Thursday 18:00, 30 h from NOW.
    in_thirty_hours = open_ticket(hosting_customer, subject="Consulta", at=madrid(23, 18))
    return overdue, in_two_hours, in_thirty_hours


def test_it_lists_what_is_due_within_four_hours_by_default_overdue_first(agent_client,
                                                                         due_soon_and_later):
    overdue, in_two_hours, in_thirty_hours = due_soon_and_later
    with time_machine.travel(NOW, tick=False):
        response = agent_client.get("/en/console/breaching/")
    assert listed(response) == [overdue.pk, in_two_hours.pk]
    assert "overdue by 1 h 0 min" in response.text and "2 h 0 min" in response.text
    assert in_thirty_hours.pk not in listed(response)


@pytest.mark.parametrize(("hours", "expected"), [(1, 1), (4, 2), (8, 2), (24, 2)])
def test_it_widens_the_window_on_request_but_not_to_a_ticket_due_in_thirty_hours(
        agent_client, due_soon_and_later, hours, expected):
    with time_machine.travel(NOW, tick=False):
        pks = listed(agent_client.get("/console/breaching/", {"hours": hours}))
    assert len(pks) == expected
    assert due_soon_and_later[2].pk not in pks


def test_it_falls_back_to_four_hours_for_a_window_not_offered(agent_client, due_soon_and_later):
    with time_machine.travel(NOW, tick=False):
        pks = listed(agent_client.get("/console/breaching/", {"hours": 999}))
    assert pks == [due_soon_and_later[0].pk, due_soon_and_later[1].pk]


def test_it_says_when_nothing_falls_due(agent_client):
    response = agent_client.get("/console/breaching/")
    assert response.status_code == 200 and 'id="breaching-empty"' in response.text
