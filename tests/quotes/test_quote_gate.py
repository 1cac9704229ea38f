"""§5: work starts only once the client accepts the quote.

A ticket waiting on a quote leaves that status only through the quote: the client accepts
or rejects it, or the agent withdraws it saying why. The console explains this where the
status is changed; neither the console nor the API lets an agent reopen it by hand.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiCaller, secret_for
from tests.console.conftest import verify_session
from tests.quotes.conftest import open_ticket
from xuala.desk.models import Status
from xuala.quotes.models import QuoteStatus
from xuala.quotes.services import quote_accept, quote_reject


@pytest.fixture
def agent(client, agent_user):
    return verify_session(client, agent_user)


def ticket_url(ticket, action: str = "", lang: str = "") -> str:
    prefix = f"/{lang}" if lang else ""
    return f"{prefix}/console/tickets/{ticket.pk}/" + (f"{action}/" if action else "")


def test_an_agent_cannot_reopen_a_ticket_waiting_on_a_quote_from_the_console(agent, sent):
    ticket = sent.ticket
    assert ticket.status == Status.WAITING_QUOTE
    before = ticket.events.count()
    page = agent.post(ticket_url(ticket, "status"), {"status": "open"}, follow=True).text
    assert "Este ticket espera un presupuesto (§5)" in page
    english = agent.post(ticket_url(ticket, "status", "en"), {"status": "open"},
                         follow=True).text
    assert "This ticket waits on a quote (§5): it moves on only when the client" in english
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_QUOTE
    assert ticket.events.count() == before


def test_the_status_card_explains_the_rule_and_offers_no_status_change(agent, sent):
    page = agent.get(ticket_url(sent.ticket)).text
    rule = page.split('id="status-quote-rule"', 1)[1].split("</p>", 1)[0]
    assert "solo cuando el cliente acepta o rechaza el presupuesto" in rule
    assert 'id="status-form"' not in page
    assert 'id="quote-withdraw-ticket-form"' in page
    english = agent.get(ticket_url(sent.ticket, lang="en")).text
    assert "only when the client accepts or rejects the quote" in english


def test_the_api_refuses_to_reopen_a_ticket_waiting_on_a_quote(client, agent_user, sent):
    api = ApiCaller(client, secret_for(agent_user))
    response = api.post(f"/api/v1/tickets/{sent.ticket.pk}/status", {"status": "open"},
                        headers={"Accept-Language": "en"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "quote_pending" and body["current_status"] == "waiting_quote"
    assert "accepts or rejects the quote" in body["detail"]
    spanish = api.post(f"/api/v1/tickets/{sent.ticket.pk}/status", {"status": "resolved"},
                       headers={"Accept-Language": "es"}).json()
    assert "acepta o rechaza el presupuesto" in spanish["detail"]
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.WAITING_QUOTE


def test_withdrawing_from_the_ticket_needs_a_reason(agent, sent):
    page = agent.post(f"/console/quotes/ticket/{sent.ticket.pk}/withdraw/", {"reason": " "},
                      follow=True).text
    assert "Indique por qué se retira el presupuesto" in page
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT


def test_withdrawing_records_who_and_why_and_reopens_the_ticket(agent, agent_user, sent):
    response = agent.post(f"/console/quotes/ticket/{sent.ticket.pk}/withdraw/",
                          {"reason": "El cliente pidió otra solución por teléfono."})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.WITHDRAWN
    ticket = sent.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    withdrawn = ticket.events.get(key="quote.withdrawn")
    assert withdrawn.actor == agent_user
    assert withdrawn.data["reason"] == "El cliente pidió otra solución por teléfono."
    moved = ticket.events.filter(key="ticket.status_changed").latest("pk")
    assert moved.data["reason"] == "quote.withdrawn" and moved.actor == agent_user


def test_a_ticket_triage_sent_to_wait_on_a_quote_is_released_by_withdrawal(
        agent, agent_user, clock, hosting_customer):
    ticket = open_ticket(hosting_customer, category="paid_change")
    assert ticket.status == Status.WAITING_QUOTE
    agent.post(f"/en/console/quotes/ticket/{ticket.pk}/withdraw/",
               {"reason": "No extra cost after all: covered by the hosting plan."})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    event = ticket.events.get(key="quote.request_withdrawn")
    assert event.actor == agent_user and event.data["reason"].startswith("No extra cost")


def test_the_clients_acceptance_moves_the_ticket_to_work(sent, client_user):
    quote_accept(quote=sent, user=client_user, terms_accepted=True)
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.OPEN
    moved = sent.ticket.events.filter(key="ticket.status_changed").latest("pk")
    assert moved.data["reason"] == "quote.accepted" and moved.actor == client_user


def test_the_clients_rejection_closes_the_request(sent, client_user):
    quote_reject(quote=sent, user=client_user, reason="Demasiado caro.")
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.RESOLVED
    moved = sent.ticket.events.filter(key="ticket.status_changed").latest("pk")
    assert moved.data["reason"] == "quote.rejected"
