"""Console pages of meetings: access, offering from a ticket, confirming a proposal,
moving, cancelling and closing a meeting, and the agent's availability."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine

from tests import factories
from tests.factories import contact_user
from tests.meetings.conftest import NOW, madrid, verified_agent_client
from xuala.desk.models import Channel, Status
from xuala.desk.services import ticket_open
from xuala.meetings import services
from xuala.meetings.models import (
    AgentAvailability,
    AgentProfile,
    AvailabilityException,
    Meeting,
    MeetingStatus,
    RequestStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, available_agent):
    return verified_agent_client(client, available_agent)


def _pick(request, instant):
    return services.meeting_pick(request=request, slot_id=request.slots.get(starts_at=instant).pk,
                                 by=contact_user(request.customer), now=NOW)


URLS = ["/console/meetings/", "/console/meetings/availability/"]


@pytest.mark.parametrize("url", URLS)
def test_only_verified_agents_enter(client, url, offered, available_agent):
    assert client.get(url).status_code == 302
    client.force_login(contact_user(offered.customer))
    assert client.get(url).status_code == 403
    client.force_login(available_agent)  # password only, no second step
    response = client.get(url)
    assert response.status_code == 302 and "/console/2fa/" in response["Location"]


def test_clients_cannot_act_on_requests(client, offered):
    client.force_login(contact_user(offered.customer))
    assert client.get(f"/console/meetings/{offered.pk}/").status_code == 403
    assert client.post(f"/console/meetings/{offered.pk}/confirm/",
                       {"starts_at": "2026-11-27T09:00"}).status_code == 403
    assert not Meeting.objects.exists()


def test_the_index_lists_requests_and_upcoming_meetings(console, offered, other_customer):
    other = factories.customer(name="Sexta SL", email="eva@sexta.es")
    booked = ticket_open(customer=other, contact=contact_user(other), channel=Channel.PORTAL,
                         subject="Videollamada", body_text="Llamadme", category="meeting",
                         received_at=NOW).ticket.meeting_requests.get()
    services.meeting_offer(request=booked, now=NOW, notify=False)
    _pick(booked, madrid(24, 17))
    html = console.get("/console/meetings/").content.decode()
    assert f'data-request="{offered.pk}"' in html
    assert f'data-request="{booked.pk}"' not in html
    assert "24 Nov 2026, 17:00" in html


def test_offering_from_a_ticket_opens_the_request(console, frozen, plan_customer):
    ticket = ticket_open(customer=plan_customer, contact=contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="Duda", body_text="¿Nos vemos?",
                         category="hosting", received_at=NOW).ticket
    html = console.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert f'action="/console/meetings/tickets/{ticket.pk}/offer/"' in html
    response = console.post(f"/console/meetings/tickets/{ticket.pk}/offer/", follow=True)
    request = ticket.meeting_requests.get()
    assert response.redirect_chain[-1][0] == f"/console/meetings/{request.pk}/"
    assert "Se han ofrecido 5 horas al cliente" in response.content.decode()
    assert request.status == RequestStatus.OFFERED and request.slots.count() == 5
    ticket.refresh_from_db()
    assert ticket.status == Status.MEETING and ticket.paused_since == NOW
    html = console.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert f'href="/console/meetings/{request.pk}/"' in html


def test_the_ticket_offers_times_until_a_meeting_is_booked_and_again_once_it_is_cancelled(
        console, offered):
    form = 'id="meeting-offer-form"'
    ticket_page = f"/console/tickets/{offered.ticket_id}/"
    assert form in console.get(ticket_page).content.decode()  # waiting for a time
    first = offered.slots.order_by("starts_at").first()
    services.meeting_pick(request=offered, slot_id=first.pk,
                          by=contact_user(offered.customer), now=NOW)
    assert form not in console.get(ticket_page).content.decode()  # booked
    services.meeting_cancel(meeting=Meeting.objects.get(), actor=None, now=NOW)
    assert form in console.get(ticket_page).content.decode()  # cancelled: a new request


def test_an_agent_confirms_the_clients_proposal(console, offered, available_agent):
    services.meeting_propose(request=offered, by=contact_user(offered.customer),
                             text="El viernes a las nueve", times=[madrid(27, 9)], now=NOW)
    html = console.get(f"/console/meetings/{offered.pk}/").content.decode()
    assert "El viernes a las nueve" in html
    assert 'value="2026-11-27T09:00"' in html
    response = console.post(f"/console/meetings/{offered.pk}/confirm/",
                            {"starts_at": "2026-11-27T09:00", "agent": available_agent.pk},
                            follow=True)
    assert "La reunión está confirmada" in response.content.decode()
    meeting = Meeting.objects.get()
    assert meeting.starts_at == madrid(27, 9) and meeting.agent == available_agent


def test_a_time_outside_opening_hours_is_refused_citing_the_clause(console, offered,
                                                                   available_agent):
    response = console.post(f"/console/meetings/{offered.pk}/confirm/",
                            {"starts_at": "2026-11-28T10:00", "agent": available_agent.pk},
                            follow=True)
    assert "fuera del horario de atención" in response.content.decode()
    assert "cláusula 1" in response.content.decode()
    assert not Meeting.objects.exists()


def test_an_agent_moves_cancels_and_closes_meetings(console, offered, available_agent):
    meeting = _pick(offered, madrid(24, 16))
    response = console.post(f"/console/meetings/meetings/{meeting.pk}/reschedule/",
                            {"move-starts_at": "2026-11-26T17:00",
                             "move-agent": available_agent.pk}, follow=True)
    assert "ha cambiado de hora" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.starts_at == madrid(26, 17) and meeting.sequence == 1

    with time_machine.travel(madrid(26, 17, 40), tick=False):
        response = console.post(f"/console/meetings/meetings/{meeting.pk}/done/", follow=True)
    assert "celebrada" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == RequestStatus.DONE
    assert offered.ticket.status == Status.OPEN


def test_an_agent_cancels_a_meeting(console, offered):
    meeting = _pick(offered, madrid(24, 16))
    response = console.post(f"/console/meetings/meetings/{meeting.pk}/cancel/",
                            {"reason": "Baja del técnico"}, follow=True)
    assert "se ha cancelado" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.sequence == 1
    event = offered.ticket.events.get(key="meeting.cancelled")
    assert event.data["reason"] == "Baja del técnico"


def test_an_agent_withdraws_a_request(console, offered):
    console.post(f"/console/meetings/{offered.pk}/withdraw/")
    offered.refresh_from_db()
    assert offered.status == RequestStatus.CANCELLED and not offered.slots.exists()
    assert offered.ticket.status == Status.OPEN


def test_an_agent_keeps_availability_and_exceptions(client, frozen):
    agent = factories.agent("nueva@modo3.net")
    console = verified_agent_client(client, agent)
    response = console.post("/console/meetings/availability/windows/",
                            {"weekday": 0, "starts": "09:30", "ends": "13:00"}, follow=True)
    assert "Disponibilidad añadida." in response.content.decode()
    window = AgentAvailability.objects.get(agent=agent)
    assert (window.weekday, window.starts, window.ends) == (0, time(9, 30), time(13))
    response = console.post("/console/meetings/availability/windows/",
                            {"weekday": 0, "starts": "12:00", "ends": "14:00"}, follow=True)
    assert "se solapa" in response.content.decode()
    response = console.post("/console/meetings/availability/windows/",
                            {"weekday": 0, "starts": "14:00", "ends": "12:00"})
    assert response.status_code == 400
    assert AgentAvailability.objects.filter(agent=agent).count() == 1

    console.post("/console/meetings/availability/exceptions/",
                 {"date": "2026-11-30", "kind": "off"})
    response = console.post("/console/meetings/availability/exceptions/",
                            {"date": "2026-12-01", "kind": "extra"})
    assert response.status_code == 400
    assert "necesita sus horas" in response.content.decode()
    exception = AvailabilityException.objects.get(agent=agent)
    assert exception.kind == "off" and exception.starts is None

    console.post("/console/meetings/availability/timezone/", {"timezone": "Atlantic/Canary"})
    assert AgentProfile.objects.get(agent=agent).timezone == "Atlantic/Canary"
    console.post("/console/meetings/availability/timezone/", {"timezone": "Mars/Olympus"})
    assert AgentProfile.objects.get(agent=agent).timezone == "Atlantic/Canary"

    html = console.get("/console/meetings/availability/").content.decode()
    assert f'data-window="{window.pk}"' in html and f'data-exception="{exception.pk}"' in html
    console.post(f"/console/meetings/availability/windows/{window.pk}/delete/")
    console.post(f"/console/meetings/availability/exceptions/{exception.pk}/delete/")
    assert not AgentAvailability.objects.filter(agent=agent).exists()
    assert not AvailabilityException.objects.filter(agent=agent).exists()


def test_an_agent_cannot_remove_another_agents_availability(client, available_agent):
    other = factories.agent("otra@modo3.net")
    console = verified_agent_client(client, other)
    window = AgentAvailability.objects.filter(agent=available_agent).first()
    console.post(f"/console/meetings/availability/windows/{window.pk}/delete/")
    assert AgentAvailability.objects.filter(pk=window.pk).exists()


def test_an_agent_sets_a_whole_working_week_in_one_go(client, frozen):
    agent = factories.agent("semana@modo3.net")
    console = verified_agent_client(client, agent)
    html = console.get("/console/meetings/availability/").content.decode()
    assert html.count('type="checkbox" name="weekday"') == 7
    response = console.post("/console/meetings/availability/windows/",
                            {"weekday": [0, 1, 2, 3, 4], "starts": "09:00", "ends": "14:00"},
                            follow=True)
    assert "Disponibilidad añadida." in response.content.decode()
    rows = AgentAvailability.objects.filter(agent=agent)
    assert sorted(rows.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert {(w.starts, w.ends) for w in rows} == {(time(9), time(14))}


def test_a_week_with_one_overlapping_day_stores_none_of_it(client, frozen):
    agent = factories.agent("solapa@modo3.net")
    services.availability_add(agent=agent, weekday=2, starts=time(12), ends=time(13))
    console = verified_agent_client(client, agent)
    response = console.post("/console/meetings/availability/windows/",
                            {"weekday": [0, 1, 2], "starts": "09:00", "ends": "14:00"},
                            follow=True)
    assert "se solapa" in response.content.decode()
    assert list(AgentAvailability.objects.filter(agent=agent)
                .values_list("weekday", flat=True)) == [2]


def test_the_time_zone_menu_lists_real_zones_with_the_policys_first(console):
    import re

    from xuala.policy.selectors import policy_active

    html = console.get("/console/meetings/availability/").content.decode()
    menu = html[html.index('id="timezone-form"'):]
    zones = re.findall(r'<option value="([^"]+)"', menu)
    assert zones[0] == policy_active().policy.timezone
    assert {"Atlantic/Canary", "America/Mexico_City", "UTC"} <= set(zones)
    assert not {"Factory", "localtime", "posixrules", "US/Eastern", "Etc/GMT+3"} & set(zones)
