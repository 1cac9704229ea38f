"""In real Chromium: a client opens the meeting request of a ticket, picks one of the
offered times and sees the meeting confirmed, with the video-call link."""

from datetime import time

import pytest
from django.utils import timezone

from tests import factories
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.meetings.models import Meeting, RequestStatus
from xuala.meetings.services import availability_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                                  plan="cobertura-mensual")
    agent = factories.agent()
    for weekday in range(5):
        availability_add(agent=agent, weekday=weekday, starts=time(10), ends=time(12))
        availability_add(agent=agent, weekday=weekday, starts=time(16), ends=time(18))
    # Triage sends it to a meeting; the offer goes out once the ticket is committed.
    ticket = ticket_open(customer=customer, contact=factories.contact_user(customer),
                         channel=Channel.PORTAL, subject="Quiero una videollamada",
                         body_text="Prefiero que me lo expliquéis en persona.",
                         category="meeting", received_at=timezone.now()).ticket
    request = ticket.meeting_requests.get()
    assert request.status == RequestStatus.OFFERED and request.slots.count() == 5
    return {"ticket": ticket, "request": request, "agent": agent}


def test_a_client_picks_a_meeting_slot(new_page, world, tmp_path):
    page = new_page()
    page.goto("/portal/login/")
    page.fill("#login-form [name=username]", "ana@cliente-demo.es")
    page.fill("#login-form [name=password]", factories.PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/portal/")

    page.goto(f"/portal/tickets/{world['ticket'].pk}/")
    page.click("#meeting-link a")
    page.wait_for_url(f"**/portal/meetings/{world['request'].pk}/")
    radios = page.locator("#pick-form input[type=radio]")
    assert radios.count() == 5
    second = page.locator("#pick-form .slot-list li").nth(1)
    label = second.inner_text().strip()
    assert "(CET)" in label or "(CEST)" in label
    page.screenshot(path=str(tmp_path / "meeting-offer.png"), full_page=True)
    second.locator("label").click()
    page.click("#pick-form [type=submit]")

    page.locator("#meeting-confirmed").wait_for()
    assert page.locator("#meeting-when").inner_text().strip() == label
    assert "Su reunión está confirmada" in page.locator(".messages").inner_text()
    meeting = Meeting.objects.get()
    assert page.locator("#meeting-room").get_attribute("href") == meeting.room_url
    assert meeting.agent == world["agent"]
    assert meeting.starts_at == list(world["request"].slots.all())[1].starts_at
    page.screenshot(path=str(tmp_path / "meeting-confirmed.png"), full_page=True)
