import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests import factories
from xuala.quotes.services import quote_draft, quote_line_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_shot(new_page):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es")
    agent = factories.agent()
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    quote = quote_draft(customer=customer, created_by=agent)
    quote_line_add(quote=quote, actor=agent, description="Licencia anual", quantity="1", unit_price="79", kind="licence", recurrence="annual")
    quote_line_add(quote=quote, actor=agent, description="Instalación", quantity="1.5", unit_price="45")
    page = new_page()
    page.goto("/console/login/")
    page.fill("#login-form [name=username]", "agente@modo3.net")
    page.fill("#login-form [name=password]", factories.PASSWORD)
    page.click("#login-form [type=submit]")
    page.fill("#otp-form [name=token]", f"{totp(device.bin_key):06d}")
    page.click("#otp-form [type=submit]")
    page.goto(f"/console/quotes/{quote.number}/")
    page.screenshot(path="/tmp/console_detail.png", full_page=True)
    page.goto("/console/quotes/")
    page.screenshot(path="/tmp/console_list.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/console/quotes/{quote.number}/")
    page.screenshot(path="/tmp/console_phone.png", full_page=True)
