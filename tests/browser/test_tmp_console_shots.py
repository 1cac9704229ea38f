from datetime import time
import pytest
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests import factories
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.meetings import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_shots(new_page):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es")
    agent = factories.agent()
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    for wd in range(5):
        services.availability_add(agent=agent, weekday=wd, starts=time(10), ends=time(12))
    ticket = ticket_open(customer=customer, contact=factories.contact_user(customer), channel=Channel.PORTAL,
        subject="Quiero una videollamada", body_text="x", category="meeting", received_at=timezone.now()).ticket
    req = ticket.meeting_requests.get()
    services.meeting_propose(request=req, by=factories.contact_user(customer), text="Viernes por la mañana", times=[req.slots.last().starts_at])
    page = new_page()
    page.goto("/console/login/")
    page.fill("#login-form [name=username]", "agente@modo3.net")
    page.fill("#login-form [name=password]", factories.PASSWORD)
    page.click("#login-form [type=submit]")
    page.fill("#otp-form [name=token]", f"{totp(device.bin_key):06d}")
    page.click("#otp-form [type=submit]")
    page.goto(f"/console/meetings/{req.pk}/")
    page.screenshot(path="/tmp/meetshots/console-request.png", full_page=True)
    page.goto("/console/meetings/availability/")
    page.screenshot(path="/tmp/meetshots/console-avail.png", full_page=True)
    page.goto(f"/console/tickets/{ticket.pk}/")
    page.screenshot(path="/tmp/meetshots/console-ticket.png", full_page=True)
    page.goto("/console/meetings/")
    page.screenshot(path="/tmp/meetshots/console-index.png", full_page=True)
