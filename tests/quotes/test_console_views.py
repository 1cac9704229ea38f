"""The console's quote pages: agents only; draft from a ticket, edit lines, send, withdraw."""

from decimal import Decimal

import pytest

from tests import factories
from tests.console.conftest import verify_session
from xuala.desk.models import Status
from xuala.notify.models import OutboundEmail
from xuala.quotes.models import Quote, QuoteStatus
from xuala.quotes.services import quote_draft


@pytest.fixture
def agent(client, agent_user):
    return verify_session(client, agent_user)


def test_every_console_quote_page_is_for_verified_agents_only(client, hosting_customer,
                                                               agent_user, draft):
    urls = ["/console/quotes/", "/console/quotes/new/", f"/console/quotes/{draft.number}/",
            f"/console/quotes/{draft.number}/pdf/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/console/login/" in response["Location"], url
    client.force_login(factories.contact_user(hosting_customer))
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/console/quotes/{draft.number}/send/").status_code == 403
    client.force_login(agent_user)  # signed in, but without the TOTP step
    response = client.get(urls[0])
    assert response.status_code == 302 and "/console/2fa/" in response["Location"]
    draft.refresh_from_db()
    assert draft.status == QuoteStatus.DRAFT


def test_the_ticket_page_offers_to_draft_a_quote(agent, ticket):
    body = agent.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert f'href="/console/quotes/new/?ticket={ticket.pk}"' in body


def test_an_agent_drafts_a_quote_from_a_ticket(agent, ticket, agent_user):
    page = agent.get(f"/console/quotes/new/?ticket={ticket.pk}")
    assert page.status_code == 200 and ticket.subject in page.content.decode()
    response = agent.post("/console/quotes/new/", {"ticket": ticket.pk})
    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/console/quotes/{quote.number}/"
    assert (quote.ticket, quote.created_by, quote.status) == (ticket, agent_user,
                                                              QuoteStatus.DRAFT)


def test_an_agent_drafts_a_quote_for_a_customer_without_a_ticket(agent, hosting_customer):
    assert agent.post("/console/quotes/new/", {"customer": "999999"}).status_code == 400
    response = agent.post("/console/quotes/new/", {"customer": hosting_customer.pk})
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.customer == hosting_customer and quote.ticket is None


def test_lines_are_added_edited_and_removed_on_the_draft_page(agent, ticket, agent_user, clock):
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    base = f"/console/quotes/{quote.number}/"
    response = agent.post(f"{base}lines/add/", {
        "description": "Licencia WPML", "kind": "licence", "recurrence": "annual",
        "quantity": "1", "unit_price": "99"})
    assert response.status_code == 302
    line = quote.lines.get()
    response = agent.post(f"{base}lines/{line.pk}/edit/", {
        f"line{line.pk}-description": "Licencia WPML (2 webs)",
        f"line{line.pk}-kind": "licence", f"line{line.pk}-recurrence": "annual",
        f"line{line.pk}-quantity": "2", f"line{line.pk}-unit_price": "99"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.description, line.quantity) == ("Licencia WPML (2 webs)", 2)
    page = agent.get(base).content.decode()
    assert "239,58\u00a0€" in page  # 198.00 + IVA 41.58
    bad = agent.post(f"{base}lines/add/", {"description": "", "kind": "work",
                                           "recurrence": "one_off", "quantity": "0",
                                           "unit_price": "1"})
    assert bad.status_code == 400 and quote.lines.count() == 1
    agent.post(f"{base}lines/{line.pk}/remove/")
    assert quote.lines.count() == 0


def test_the_draft_settings_are_saved(agent, draft):
    response = agent.post(f"/console/quotes/{draft.number}/edit/", {
        "discount": "15", "valid_until": "2027-01-15", "language": "en",
        "terms": "Payment within 30 days."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (str(draft.discount), str(draft.valid_until), draft.language, draft.terms) == (
        "15.00", "2027-01-15", "en", "Payment within 30 days.")


def test_sending_from_the_console_mails_the_client_and_pauses_the_ticket(agent, draft):
    response = agent.post(f"/console/quotes/{draft.number}/send/", follow=True)
    assert "se ha enviado al cliente" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == QuoteStatus.SENT
    assert OutboundEmail.objects.filter(purpose="quote.sent").count() == 1
    draft.ticket.refresh_from_db()
    assert draft.ticket.status == Status.WAITING_QUOTE
    # Once sent, its lines can no longer be changed.
    line = draft.lines.first()
    response = agent.post(f"/console/quotes/{draft.number}/lines/{line.pk}/remove/",
                          follow=True)
    assert "Solo un borrador puede modificarse" in response.content.decode()
    assert draft.lines.count() == 2


def test_an_empty_draft_is_not_sent_and_the_agent_is_told_why(agent, ticket, agent_user,
                                                             clock):
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    response = agent.post(f"/console/quotes/{quote.number}/send/", follow=True)
    assert "al menos una línea" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_a_sent_quote_is_withdrawn_and_the_ticket_goes_back_to_work(agent, sent):
    response = agent.post(f"/console/quotes/{sent.number}/withdraw/",
                          {"reason": "El cliente ya no lo necesita."})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.WITHDRAWN
    sent.ticket.refresh_from_db()
    assert sent.ticket.status == Status.OPEN


def test_the_list_filters_by_status_and_search(agent, sent, other_customer, agent_user):
    other = quote_draft(customer=other_customer, created_by=agent_user)
    body = agent.get("/console/quotes/").content.decode()
    assert sent.number in body and other.number in body
    body = agent.get("/console/quotes/?status=sent").content.decode()
    assert sent.number in body and other.number not in body
    body = agent.get("/console/quotes/?q=Otra+Empresa").content.decode()
    assert other.number in body and sent.number not in body
    body = agent.get(f"/console/quotes/?ticket={sent.ticket_id}").content.decode()
    assert sent.number in body and other.number not in body


def test_the_detail_shows_the_decision_record(agent, sent, clock):
    from xuala.quotes.services import quote_accept

    quote_accept(quote=sent, user=factories.contact_user(sent.customer), terms_accepted=True,
                 ip="192.0.2.9", user_agent="Prueba/2")
    body = agent.get(f"/console/quotes/{sent.number}/").content.decode()
    assert "192.0.2.9" in body and "Prueba/2" in body
    assert 'id="quote-send-form"' not in body and 'id="quote-withdraw-form"' not in body


def test_an_unknown_quote_is_not_found(agent):
    assert agent.get("/console/quotes/P-2026-9999/").status_code == 404


def test_the_agent_downloads_the_pdf_of_a_draft(agent, draft):
    response = agent.get(f"/console/quotes/{draft.number}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_a_spanish_agent_types_decimals_with_a_comma(agent, draft):
    response = agent.post(f"/console/quotes/{draft.number}/lines/add/", {
        "description": "Horas de desarrollo", "kind": "work", "recurrence": "one_off",
        "quantity": "2,5", "unit_price": "19,995"})
    assert response.status_code == 302
    line = draft.lines.last()
    assert (str(line.quantity), str(line.unit_price)) == ("2.500", "19.9950")
    assert draft.totals().lines[-1].amount == Decimal("49.99")  # 49.9875 → 49.99
