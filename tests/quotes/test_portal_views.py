"""The client area's quote pages: own quotes only, accept and reject by HTTP.

Another customer's quote on every client URL (404, nothing shown, nothing decided) is
checked with every other client route in tests/core/test_tenancy.py."""

import pytest

from tests import factories
from tests.quotes.conftest import add_standard_lines, madrid, open_ticket
from xuala.desk.models import Status
from xuala.notify.models import OutboundEmail
from xuala.quotes.models import QuoteStatus
from xuala.quotes.services import quote_draft, quote_send


@pytest.fixture
def luis(client, hosting_customer):
    client.force_login(factories.contact_user(hosting_customer))
    return client


@pytest.fixture
def bea(client, other_customer):
    client.force_login(factories.contact_user(other_customer))
    return client


def client_urls(number: str) -> list[tuple[str, str]]:
    base = f"/portal/quotes/{number}/"
    return [("get", base), ("get", f"{base}pdf/"), ("post", f"{base}accept/"),
            ("post", f"{base}reject/")]


def test_the_list_shows_sent_quotes_of_the_customer_but_not_drafts(luis, sent, ticket,
                                                                  agent_user):
    hidden = quote_draft(ticket=ticket, created_by=agent_user)
    response = luis.get("/portal/quotes/")
    assert response.status_code == 200
    body = response.content.decode()
    assert sent.number in body and hidden.number not in body
    assert 'id="nav-quotes"' in body


def test_the_detail_shows_lines_totals_and_both_forms(luis, sent):
    response = luis.get(f"/portal/quotes/{sent.number}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Migración de la tienda" in body and "19,995\u00a0€" in body
    assert "72,59\u00a0€" in body and "15,13\u00a0€" in body
    assert 'id="accept-form"' in body and 'id="reject-form"' in body
    assert 'name="terms"' in body and 'name="reason"' in body


def test_the_ticket_page_links_to_its_quote(luis, sent):
    body = luis.get(f"/portal/tickets/{sent.ticket_id}/").content.decode()
    assert f'href="/portal/quotes/{sent.number}/"' in body


def test_a_draft_is_not_found_even_by_its_own_customer(luis, draft):
    for method, url in client_urls(draft.number):
        assert getattr(luis, method)(url).status_code == 404, url


def test_an_unknown_number_is_not_found(luis, sent):
    assert luis.get("/portal/quotes/P-1999-0001/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, sent):
    response = client.get(f"/portal/quotes/{sent.number}/")
    assert response.status_code == 302 and "/portal/login/" in response["Location"]
    response = client.post(f"/portal/quotes/{sent.number}/accept/", {"terms": "on"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT


def test_accepting_with_the_terms_ticked_records_the_address_and_browser(luis, sent, clock):
    clock.move_to(madrid(24, 16))
    response = luis.post(f"/portal/quotes/{sent.number}/accept/", {"terms": "on"},
                         REMOTE_ADDR="192.0.2.44", HTTP_USER_AGENT="Navegador de prueba/1.0")
    assert response.status_code == 302
    assert response["Location"] == f"/portal/quotes/{sent.number}/"
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.ACCEPTED
    assert (sent.decided_ip, sent.decided_user_agent) == ("192.0.2.44",
                                                          "Navegador de prueba/1.0")
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.OPEN
    page = luis.get(response["Location"]).content.decode()
    assert "Ha aceptado el presupuesto" in page and 'id="accept-form"' not in page


def test_accepting_without_ticking_the_terms_is_refused_with_a_message(luis, sent):
    response = luis.post(f"/portal/quotes/{sent.number}/accept/", {})
    assert response.status_code == 400
    assert "Marque la casilla" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT


def test_accepting_an_expired_quote_says_so_and_changes_nothing_else(luis, sent, clock):
    clock.move_to(madrid(28, 10, month=12))
    luis.force_login(factories.contact_user(sent.customer))  # a month on, sign in afresh
    response = luis.post(f"/portal/quotes/{sent.number}/accept/", {"terms": "on"},
                         follow=True)
    assert "caducó el 23 Dic 2026" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.EXPIRED and sent.decided_at is None


def test_rejecting_needs_a_reason_then_closes_the_request(luis, sent):
    response = luis.post(f"/portal/quotes/{sent.number}/reject/", {"reason": ""})
    assert response.status_code == 400
    assert "Indíquenos por qué rechaza" in response.content.decode()
    response = luis.post(f"/portal/quotes/{sent.number}/reject/",
                         {"reason": "Lo haremos nosotros mismos."}, follow=True)
    assert "Ha rechazado el presupuesto" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.REJECTED
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.RESOLVED


def test_a_second_decision_is_refused_politely(luis, sent):
    luis.post(f"/portal/quotes/{sent.number}/accept/", {"terms": "on"})
    response = luis.post(f"/portal/quotes/{sent.number}/reject/", {"reason": "Cambio de idea"},
                         follow=True)
    assert "ya no está pendiente de respuesta" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.ACCEPTED
    assert OutboundEmail.objects.filter(purpose="quote.rejected").count() == 0


def test_the_pdf_downloads_as_an_attachment(luis, sent):
    response = luis.get(f"/portal/quotes/{sent.number}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{sent.number}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_pages_speak_english_under_en(client, english_customer, agent_user, clock):
    ticket = open_ticket(english_customer, subject="Bigger disk")
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    add_standard_lines(quote, agent_user)
    quote_send(quote=quote, actor=agent_user)
    client.force_login(factories.contact_user(english_customer))
    body = client.get(f"/en/portal/quotes/{quote.number}/").content.decode()
    assert "Accept the quote" in body and "€72.59" in body
    assert f'action="/en/portal/quotes/{quote.number}/accept/"' in body


def test_an_agent_is_sent_to_the_console_not_shown_the_quote(client, agent_user, sent):
    client.force_login(agent_user)
    response = client.get(f"/portal/quotes/{sent.number}/")
    assert response.status_code == 302 and "/console/" in response["Location"]
