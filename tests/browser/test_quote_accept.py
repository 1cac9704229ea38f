"""In real Chromium: a client signs in, opens the quote, ticks the terms and accepts it; the
ticket goes back to work."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from xuala.desk.models import Channel, Status, Ticket
from xuala.desk.services import ticket_open
from xuala.notify.models import OutboundEmail
from xuala.quotes.models import Quote, QuoteStatus
from xuala.quotes.services import quote_draft, quote_line_add, quote_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent_quote(db):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                                  plan="cobertura-mensual")
    agent = factories.agent()
    ticket = ticket_open(customer=customer, contact=factories.contact_user(customer),
                         channel=Channel.PORTAL, subject="Licencia de un plugin de reservas",
                         body_text="Queremos añadir reservas a la web.",
                         category="paid_change",
                         received_at=timezone.now() - timedelta(hours=1)).ticket
    assert ticket.status == Status.WAITING_QUOTE
    quote = quote_draft(ticket=ticket, created_by=agent)
    quote_line_add(quote=quote, actor=agent, description="Licencia anual del plugin de reservas",
                   quantity="1", unit_price="79", kind="licence", recurrence="annual")
    quote_line_add(quote=quote, actor=agent, description="Instalación y configuración",
                   quantity="1.5", unit_price="45", kind="work")
    quote_send(quote=quote, actor=agent)
    return quote


def test_a_client_accepts_a_quote_and_the_ticket_is_back_to_work(new_page, sent_quote,
                                                                  tmp_path):
    page = new_page()
    page.goto("/portal/login/")
    page.fill("#login-form [name=username]", "ana@cliente-demo.es")
    page.fill("#login-form [name=password]", factories.PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/portal/")

    page.click("#nav-quotes")
    page.click(f'#quote-list tr[data-quote="{sent_quote.number}"] a')
    page.wait_for_url(f"**/portal/quotes/{sent_quote.number}/")
    assert "Licencia anual del plugin de reservas" in page.locator("#quote-lines").inner_text()
    # 1.5 × 45 = 67.50 + IVA 14.18 = 81.68 one-off; 79 + 16.59 = 95.59 a year.
    totals = page.locator("#quote-totals").inner_text().replace("\u00a0", " ")
    assert "81,68 €" in totals and "95,59 €" in totals
    page.screenshot(path=str(tmp_path / "quote.png"), full_page=True)

    page.check("#accept-form [name=terms]")
    page.click("#accept-form [type=submit]")
    page.locator(".messages").wait_for()
    assert "Ha aceptado el presupuesto" in page.locator(".messages").inner_text()
    assert page.locator("#quote-status").inner_text() == "Aceptado"
    assert page.locator("#accept-form").count() == 0
    page.screenshot(path=str(tmp_path / "accepted.png"), full_page=True)

    quote = Quote.objects.get(pk=sent_quote.pk)
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.decided_ip == "127.0.0.1" and "Chrome" in quote.decided_user_agent
    ticket = Ticket.objects.get(pk=sent_quote.ticket_id)
    assert ticket.status == Status.OPEN and ticket.paused_since is None
    assert OutboundEmail.objects.filter(purpose="quote.accepted", ticket=ticket).exists()

    page.click("#quote-ticket")
    assert page.locator("#ticket-status").inner_text() == "Abierto"
