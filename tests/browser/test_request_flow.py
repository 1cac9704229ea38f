"""In real Chromium: a client files a request, an agent finds it in the queue and answers,
and the client reads the answer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from xuala.desk.models import Channel, Ticket
from xuala.desk.services import ticket_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    ana_customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                                      plan="cobertura-mensual")
    luis_customer = factories.customer(name="Sin Plan SL", email="luis@sinplan-demo.es")
    agent = factories.agent()
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    luis = factories.contact_user(luis_customer)
    earlier = timezone.now() - timedelta(hours=1)
    standard = ticket_open(customer=luis_customer, contact=luis, channel=Channel.PORTAL,
                           subject="Duda sobre el FTP", body_text="¿Cuál es el puerto?",
                           category="hosting", received_at=earlier).ticket
    emergency = ticket_open(customer=luis_customer, contact=luis, channel=Channel.PORTAL,
                            subject="La web no carga", body_text="Error 503", category="site_down",
                            received_at=earlier).ticket
    return {"agent": agent, "device": device, "standard": standard, "emergency": emergency,
            "ana_site": ana_customer.sites.get()}


def test_a_request_goes_from_client_to_agent_and_back(new_page, world, tmp_path):
    client = new_page()
    client.goto("/portal/login/")
    client.fill("#login-form [name=username]", "ana@cliente-demo.es")
    client.fill("#login-form [name=password]", factories.PASSWORD)
    client.click("#login-form [type=submit]")
    client.wait_for_url("**/portal/")
    client.goto("/portal/tickets/new/")
    client.select_option("#new-ticket-form [name=about]", f"site:{world['ana_site'].pk}")
    client.select_option("#new-ticket-form [name=category]", "hosting")
    client.fill("#new-ticket-form [name=subject]", "El correo de la tienda no envía")
    client.fill("#new-ticket-form [name=description]", "Desde las 10:00 los pedidos no "
                                                        "mandan el correo de confirmación.")
    client.click("#new-ticket-form [type=submit]")
    ticket = Ticket.objects.get(subject="El correo de la tienda no envía")
    acknowledgement = client.locator(".messages").inner_text()
    assert ticket.reference in acknowledgement
    assert ticket.ticket_class == "priority"
    client.screenshot(path=str(tmp_path / "client-ack.png"), full_page=True)

    agent = new_page()
    agent.goto("/console/login/")
    agent.fill("#login-form [name=username]", "agente@modo3.net")
    agent.fill("#login-form [name=password]", factories.PASSWORD)
    agent.click("#login-form [type=submit]")
    agent.fill("#otp-form [name=token]", f"{totp(world['device'].bin_key):06d}")
    agent.click("#otp-form [type=submit]")
    rows = agent.locator("#queue tr[data-ticket]")
    rows.first.wait_for()
    order = [int(rows.nth(i).get_attribute("data-ticket")) for i in range(rows.count())]
    # Emergencies first; then the plan client's 48 h ticket before the older 72 h one.
    assert order == [world["emergency"].pk, ticket.pk, world["standard"].pk]
    agent.click(f'#queue tr[data-ticket="{ticket.pk}"] a')
    agent.fill("#reply-form [name=body]", "Hola Ana: ya hemos reiniciado el servicio de correo.")
    agent.click("#reply-form [type=submit]")
    agent.get_by_text("ya hemos reiniciado el servicio de correo").first.wait_for()
    agent.screenshot(path=str(tmp_path / "agent-ticket.png"), full_page=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None

    client.goto(f"/portal/tickets/{ticket.pk}/")
    answer = client.locator("article.message.from-agent")
    assert "ya hemos reiniciado el servicio de correo" in answer.inner_text()
    client.screenshot(path=str(tmp_path / "client-answer.png"), full_page=True)
