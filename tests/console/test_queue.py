"""The queue page: policy order, filters, pagination without counting, constant queries."""

from __future__ import annotations

import re

import pytest
import time_machine

from tests.console.conftest import madrid, open_ticket
from xuala.desk.models import Status
from xuala.desk.services import ticket_assign, ticket_set_status

QUEUE = "/console/"


def queue_order(response) -> list[int]:
    assert response.status_code == 200
    table = response.text.split('id="queue"', 1)[1].split("</table>", 1)[0]
    return [int(pk) for pk in re.findall(r'<tr data-ticket="(\d+)"', table)]


@pytest.fixture
def mixed(plan_customer, hosting_customer):
    """Tickets of every kind, received at fixed instants of the week of 23 November 2026.

    Working-days clocks: standard due 72 h after receipt, priority 48 h; emergencies
    run 24/7 and are due 4 h after receipt.
    """
    t = {
        "emergency_late": open_ticket(hosting_customer, subject="Web caida A",
                                      at=madrid(25, 11), ticket_class="emergency"),
        "emergency_early": open_ticket(plan_customer, subject="Web caida B",
                                       at=madrid(25, 10), ticket_class="emergency"),
        # Standard Monday 12:00 and priority Tuesday 12:00 are both due Thursday 12:00.
        "standard_thu_noon": open_ticket(hosting_customer, subject="Consulta uno",
                                         at=madrid(23, 12)),
        "priority_thu_noon": open_ticket(plan_customer, subject="Consulta dos",
                                         at=madrid(24, 12)),
        # Standard Monday 09:00: due Thursday 09:00, before both of those.
        "standard_thu_nine": open_ticket(hosting_customer, subject="Consulta tres",
                                         at=madrid(23, 9)),
        # Priority Wednesday 09:00: due Friday 09:00.
        "priority_fri": open_ticket(plan_customer, subject="Consulta cuatro",
                                    at=madrid(25, 9)),
        "paused": open_ticket(hosting_customer, subject="Consulta cinco", at=madrid(23, 8)),
        "resolved": open_ticket(hosting_customer, subject="Consulta seis", at=madrid(23, 7)),
    }
    ticket_set_status(ticket=t["paused"], status=Status.WAITING_CLIENT, at=madrid(23, 10))
    ticket_set_status(ticket=t["resolved"], status=Status.RESOLVED, at=madrid(23, 10))
    assert t["priority_thu_noon"].ticket_class == "priority"
    assert t["standard_thu_noon"].ticket_class == "standard"
    assert t["priority_thu_noon"].due_at == t["standard_thu_noon"].due_at
    return t


def test_it_orders_emergencies_then_plan_clients_then_the_rest_each_by_due_instant(
        agent_client, mixed):
    # §6.3.2 "por encima de otras peticiones": the default policy's queue.order = plan_first.
    expected = ["emergency_early", "emergency_late", "priority_thu_noon", "priority_fri",
                "standard_thu_nine", "standard_thu_noon", "paused"]
    assert queue_order(agent_client.get(QUEUE)) == [mixed[name].pk for name in expected]
    assert queue_order(agent_client.get("/en/console/")) == [mixed[name].pk for name in expected]


def test_a_due_first_policy_orders_by_due_instant_with_plan_clients_first_on_ties(
        agent_client, mixed, tmp_path, settings):
    from tests.policy.copies import policy_copy

    policy_copy(tmp_path, settings, ('order = "plan_first"', 'order = "due_first"'))
    expected = ["emergency_early", "emergency_late", "standard_thu_nine", "priority_thu_noon",
                "standard_thu_noon", "priority_fri", "paused"]
    assert queue_order(agent_client.get(QUEUE)) == [mixed[name].pk for name in expected]


def test_it_shows_each_ticket_with_its_columns_in_the_policy_zone(agent_client, mixed):
    with time_machine.travel(madrid(25, 8, 40), tick=False):
        page = agent_client.get("/en/console/").text
    row = page.split(f'<tr data-ticket="{mixed["standard_thu_noon"].pk}"', 1)[1].split("</tr>")[0]
    assert f"#{mixed['standard_thu_noon'].pk}" in row
    assert "badge-standard" in row and "Standard" in row
    assert "Sin Plan SL" in row and "Consulta uno" in row and "New" in row
    # Due Thursday 12:00 in Madrid: 1 day 3 h 20 min from Wednesday 08:40.
    assert "1 d 3 h" in row
    assert "26 Nov 2026, 12:00" in row  # Madrid time, though the process runs in Tokyo
    assert "Europe/Madrid" in page
    paused = page.split(f'<tr data-ticket="{mixed["paused"].pk}"', 1)[1].split("</tr>")[0]
    assert "paused" in paused
    emergency = page.split(f'<tr data-ticket="{mixed["emergency_early"].pk}"', 1)[1]
    emergency = emergency.split("</tr>")[0]
    assert "badge-emergency" in emergency and "5 h 20 min" in emergency


def test_it_shows_how_long_a_ticket_is_overdue(agent_client, mixed):
    with time_machine.travel(madrid(25, 17, 5), tick=False):
        page = agent_client.get("/en/console/").text
    row = page.split(f'<tr data-ticket="{mixed["emergency_early"].pk}"', 1)[1].split("</tr>")[0]
    assert "overdue by 3 h 5 min" in row and "clock-overdue" in row
    with time_machine.travel(madrid(25, 17, 5), tick=False):
        page = agent_client.get(QUEUE).text
    assert "vencido hace 3 h 5 min" in page


def test_it_filters_by_status_class_assignee_and_search(agent_client, agent_user, mixed):
    ticket_assign(ticket=mixed["priority_fri"], assignee=agent_user, actor=agent_user)

    def get(**params):
        return set(queue_order(agent_client.get(QUEUE, params)))

    pk = {name: ticket.pk for name, ticket in mixed.items()}
    assert get(status="waiting_client") == {pk["paused"]}
    assert get(status="resolved") == {pk["resolved"]}
    assert get(ticket_class="priority") == {pk["priority_thu_noon"], pk["priority_fri"]}
    assert get(ticket_class="emergency") == {pk["emergency_early"], pk["emergency_late"]}
    assert get(assignee="me") == {pk["priority_fri"]}
    unassigned = get(assignee="unassigned")
    assert pk["priority_fri"] not in unassigned and pk["paused"] in unassigned
    assert get(q="cuatro") == {pk["priority_fri"]}
    assert get(q="Cliente Demo") == {pk["emergency_early"], pk["priority_thu_noon"],
                                     pk["priority_fri"]}
    assert get(q=f"#{pk['standard_thu_nine']}") == {pk["standard_thu_nine"]}
    assert get(ticket_class="priority", q="dos") == {pk["priority_thu_noon"]}
    # A value that is not a choice is ignored with a message, the rest still filters.
    response = agent_client.get(QUEUE, {"status": "bogus", "ticket_class": "emergency"})
    assert set(queue_order(response)) == {pk["emergency_early"], pk["emergency_late"]}


def test_it_says_when_nothing_matches(agent_client, mixed):
    response = agent_client.get(QUEUE, {"q": "no existe tal cosa"})
    assert response.status_code == 200 and 'id="queue-empty"' in response.text


def test_it_answers_an_htmx_filter_request_with_just_the_results(agent_client, mixed):
    response = agent_client.get(QUEUE, {"ticket_class": "priority"}, HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="queue-results")
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="queue-results"' in response.text
    assert set(queue_order(response)) == {mixed["priority_thu_noon"].pk,
                                          mixed["priority_fri"].pk}


def test_it_pages_by_fifty_with_a_next_link_and_no_total(agent_client, hosting_customer):
    tickets = [open_ticket(hosting_customer, subject=f"Consulta {n}", at=madrid(23, 9, n))
               for n in range(52)]
    first = agent_client.get(QUEUE)
    assert queue_order(first) == [t.pk for t in tickets[:50]]
    assert 'id="queue-next"' in first.text and 'id="queue-prev"' not in first.text
    second = agent_client.get(QUEUE, {"page": 2})
    assert queue_order(second) == [t.pk for t in tickets[50:]]
    assert 'id="queue-next"' not in second.text and 'id="queue-prev"' in second.text


def _queue_queries(agent_client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = agent_client.get(QUEUE)
    return response


# Session, user, OTP device, the page of tickets (customer, assignee, site joined in).
QUEUE_QUERIES = 4


@pytest.mark.parametrize("count", [3, 60])
def test_it_reads_the_queue_in_a_constant_number_of_queries(agent_client, agent_user,
                                                            other_agent, plan_customer,
                                                            hosting_customer,
                                                            django_assert_num_queries, count):
    for n in range(count):
        customer = plan_customer if n % 2 else hosting_customer
        ticket = open_ticket(customer, subject=f"Consulta {n}", at=madrid(23, 9, n % 60),
                             site=customer.sites.first())
        if n % 3 == 0:
            ticket_assign(ticket=ticket, assignee=other_agent if n % 2 else agent_user,
                          actor=agent_user)
    response = _queue_queries(agent_client, django_assert_num_queries, QUEUE_QUERIES)
    assert len(queue_order(response)) == min(count, 50)
