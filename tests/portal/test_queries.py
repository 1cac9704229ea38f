"""The portal's list pages make a fixed number of queries, however much there is to list."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.portal.conftest import file_ticket
from xuala.desk.services import Upload, ticket_reply


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_dashboard_does_not_query_per_ticket(ana, plan_customer, open_hours):
    file_ticket(plan_customer)
    one = queries_for(ana, "/portal/")
    for n in range(5):
        file_ticket(plan_customer, subject=f"Otra consulta {n}")
    assert queries_for(ana, "/portal/") == one


def test_the_ticket_page_does_not_query_per_message(ana, plan_customer, agent_user, open_hours):
    ticket = file_ticket(plan_customer)
    ticket_reply(ticket=ticket, author=agent_user, body_text="Primera",
                 uploads=[Upload("a.txt", b"a")])
    one = queries_for(ana, f"/portal/tickets/{ticket.pk}/")
    for n in range(4):
        ticket_reply(ticket=ticket, author=agent_user, body_text=f"Más {n}",
                     uploads=[Upload(f"b{n}.txt", b"b")])
    assert queries_for(ana, f"/portal/tickets/{ticket.pk}/") == one
