"""The odd inputs the security probe found a server error with: each is now refused with a
4xx (JSON in the API) or ignored."""

from __future__ import annotations

import pytest

from tests import factories
from tests.console.conftest import open_ticket, verify_session
from xuala.api.services import api_token_create

SUPERSCRIPT_MONTH = "2026-²"
HUGE = "400000000000000000"


@pytest.fixture
def ana(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    return client


@pytest.fixture
def agent(client, agent_user):
    return verify_session(client, agent_user)


def test_the_uptime_report_ignores_a_month_with_superscript_digits(ana):
    response = ana.get("/portal/uptime/", {"month": SUPERSCRIPT_MONTH})
    assert response.status_code == 200
    assert "No hay informe para «2026-²»" in response.content.decode()


def test_the_console_customer_report_ignores_a_month_with_superscript_digits(
        agent, plan_customer):
    response = agent.get(f"/console/sentry/customers/{plan_customer.pk}/report/",
                         {"month": SUPERSCRIPT_MONTH})
    assert response.status_code == 200


@pytest.mark.parametrize("nxt", ["foo", "portal:dashboard", "2026-²", "javascript:alert(1)"])
def test_a_signed_in_client_at_the_sign_in_page_with_a_bad_next_goes_to_the_dashboard(ana, nxt):
    response = ana.get("/portal/login/", {"next": nxt})
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_a_signed_in_client_at_the_sign_in_page_with_a_good_next_goes_there(ana):
    response = ana.get("/portal/login/", {"next": "/portal/tickets/new/"})
    assert response["Location"] == "/portal/tickets/new/"


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/customers", "/api/v1/services",
                                  "/api/v1/sites", "/api/v1/contracts"])
def test_every_api_list_answers_an_impossible_page_with_a_json_422(client, agent_user, path):
    token = api_token_create(user=agent_user).secret
    response = client.get(path, {"page": HUGE}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and "page" in json_fields(body)


def json_fields(body) -> list[str]:
    return [str(part) for error in body["errors"] for part in error.get("loc", [])]


@pytest.mark.parametrize("params", [{"page": HUGE}, {"q": "²"}, {"q": "#99999999999999999999"},
                                    {"page": "²"}])
def test_the_console_queue_ignores_impossible_pages_and_searches(agent, plan_customer, params):
    open_ticket(plan_customer)
    response = agent.get("/console/", params)
    assert response.status_code == 200


def test_a_search_by_ascii_number_still_finds_the_ticket(agent, plan_customer):
    ticket = open_ticket(plan_customer, subject="Sin relación")
    page = agent.get("/console/", {"q": f"#{ticket.pk}"}).content.decode()
    assert f"/console/tickets/{ticket.pk}/" in page


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "-3", "1e3"])
def test_console_quotes_ignore_an_impossible_ticket(agent, value):
    assert agent.get("/console/quotes/new/", {"ticket": value}).status_code == 200
    assert agent.get("/console/quotes/", {"ticket": value}).status_code == 200


def test_a_new_quote_for_a_real_ticket_still_names_it(agent, plan_customer):
    ticket = open_ticket(plan_customer)
    page = agent.get("/console/quotes/new/", {"ticket": str(ticket.pk)}).content.decode()
    assert ticket.reference in page
