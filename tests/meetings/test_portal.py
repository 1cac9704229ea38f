"""The client's meeting page: offered times in the client's language and the policy's zone,
picking, proposing, the invitation download, and tenancy."""

from __future__ import annotations

import pytest
from django.test import Client
from icalendar import Calendar

from tests import factories
from tests.factories import contact_user
from tests.meetings.conftest import NOW, madrid, meeting_ticket
from xuala.meetings import services
from xuala.meetings.models import Meeting, RequestStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(client, offered):
    client.force_login(contact_user(offered.customer))
    return client


def _url(request, suffix: str = "", language: str = "") -> str:
    prefix = f"/{language}" if language else ""
    return f"{prefix}/portal/meetings/{request.pk}/{suffix}"


def test_it_lists_the_offered_times_in_spanish_and_the_policy_zone(ana, offered):
    response = ana.get(_url(offered))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="pick-form"' in html and 'id="propose-form"' in html
    assert "martes 24 noviembre 2026, 16:00–16:30 (CET)" in html
    assert "jueves 26 noviembre 2026, 10:00–10:30 (CET)" in html
    assert html.count('type="radio"') == 5
    assert "Europe/Madrid" in html


def test_it_speaks_english_under_the_en_prefix(ana, offered):
    html = ana.get(_url(offered, language="en")).content.decode()
    assert "Tuesday 24 November 2026, 16:00–16:30 (CET)" in html
    assert "Choose a time" in html


def test_the_ticket_page_links_to_the_meeting(ana, offered):
    html = ana.get(f"/portal/tickets/{offered.ticket.pk}/").content.decode()
    assert f'href="/portal/meetings/{offered.pk}/"' in html
    assert "Elija una hora para su reunión" in html


def test_picking_a_time_confirms_the_meeting(ana, offered):
    slot = offered.slots.get(starts_at=madrid(25, 16))
    response = ana.post(_url(offered, "pick/"), {"slot": slot.pk}, follow=True)
    assert response.redirect_chain[-1][0] == _url(offered)
    html = response.content.decode()
    assert "Su reunión está confirmada" in html
    assert "miércoles 25 noviembre 2026, 16:00–16:30 (CET)" in html
    meeting = Meeting.objects.get()
    assert meeting.starts_at == madrid(25, 16)
    assert f'href="{meeting.room_url}"' in html
    assert 'id="pick-form"' not in html

    response = ana.get(_url(offered, "invite.ics"))
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["UID"]) == meeting.uid
    assert event.decoded("DTSTART") == madrid(25, 16)


def test_a_time_taken_meanwhile_is_refused_with_the_next_free_ones(ana, offered,
                                                                   other_customer):
    other = meeting_ticket(other_customer).meeting_requests.get()
    services.meeting_offer(request=other, now=NOW, notify=False)
    services.meeting_pick(request=other, slot_id=other.slots.get(starts_at=madrid(24, 16)).pk,
                          by=contact_user(other_customer), now=NOW)
    stale = offered.slots.get(starts_at=madrid(24, 16))
    response = ana.post(_url(offered, "pick/"), {"slot": stale.pk}, follow=True)
    html = response.content.decode()
    assert "esa hora se acaba de ocupar" in html
    assert "martes 24 noviembre 2026, 16:30–17:00 (CET)" in html  # listed and offered
    offered.refresh_from_db()
    assert offered.status == RequestStatus.OFFERED
    assert Meeting.objects.count() == 1


def test_a_pick_without_a_choice_is_a_clear_error(ana, offered):
    response = ana.post(_url(offered, "pick/"), {})
    assert response.status_code == 400
    assert "Elija una de las horas." in response.content.decode()
    response = ana.post(_url(offered, "pick/"), {"slot": "999999"})
    assert response.status_code == 400
    assert not Meeting.objects.exists()


def test_proposing_times_reads_them_in_the_policy_zone(ana, offered):
    """The test process runs in Asia/Tokyo; 09:00 typed by the client is 09:00 in Madrid."""
    response = ana.post(_url(offered, "propose/"), {
        "text": "Mejor el viernes temprano.", "time_1": "2026-11-27T09:00"}, follow=True)
    assert "hemos recibido las horas que nos propone" in response.content.decode()
    offered.refresh_from_db()
    assert offered.status == RequestStatus.PROPOSED_BY_CLIENT
    proposal = offered.proposals.get()
    assert proposal.instants == [madrid(27, 9)]
    assert proposal.text == "Mejor el viernes temprano."


def test_an_empty_or_past_proposal_is_refused(ana, offered):
    response = ana.post(_url(offered, "propose/"), {"text": " "})
    assert response.status_code == 400
    assert "Indíquenos qué días y horas le vienen bien" in response.content.decode()
    response = ana.post(_url(offered, "propose/"), {"time_1": "2026-11-20T10:00"})
    assert response.status_code == 400
    assert "Esa hora ya ha pasado." in response.content.decode()
    assert not offered.proposals.exists()


def test_other_customers_requests_are_not_found(client, offered, other_customer):
    client.force_login(contact_user(other_customer))
    slot = offered.slots.first()
    assert client.get(_url(offered)).status_code == 404
    assert client.post(_url(offered, "pick/"), {"slot": slot.pk}).status_code == 404
    assert client.post(_url(offered, "propose/"), {"text": "hola"}).status_code == 404
    assert client.get(_url(offered, "invite.ics")).status_code == 404
    assert not Meeting.objects.exists() and not offered.proposals.exists()


def test_anonymous_visitors_sign_in_and_agents_go_to_the_console(client, offered,
                                                                 available_agent):
    response = client.get(_url(offered))
    assert response.status_code == 302 and "/portal/login/" in response["Location"]
    client.force_login(available_agent)
    response = client.get(_url(offered))
    assert response.status_code == 302 and "/console/" in response["Location"]


def test_forms_need_the_csrf_token(offered):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(contact_user(offered.customer))
    slot = offered.slots.first()
    assert strict.post(_url(offered, "pick/"), {"slot": slot.pk}).status_code == 403
    assert not Meeting.objects.exists()


def test_a_request_without_offered_times_invites_a_proposal(client, frozen):
    customer = factories.customer(name="Quinta SL", email="ines@quinta.es")
    request = meeting_ticket(customer).meeting_requests.get()
    client.force_login(contact_user(customer))
    html = client.get(_url(request)).content.decode()
    assert 'id="no-slots-yet"' in html
    assert 'id="pick-form"' not in html and 'id="propose-form"' in html


def test_a_confirmed_meeting_is_not_coloured_like_one_being_arranged(ana, offered):
    """"Confirmada" wears the done colour; "Horas ofrecidas" the pending one."""
    import re
    from pathlib import Path

    def badge(html: str) -> str:
        return re.search(r'<span class="badge ([^"]+)" id="meeting-status"', html).group(1)

    assert badge(ana.get(_url(offered)).content.decode()) == "meeting-status-offered"
    slot = offered.slots.get(starts_at=madrid(25, 16))
    html = ana.post(_url(offered, "pick/"), {"slot": slot.pk}, follow=True).content.decode()
    assert badge(html) == "meeting-status-confirmed" and ">Confirmada<" in html
    root = Path(__file__).resolve().parents[2]
    css = (root / "xuala/portal/static/portal/portal.css").read_text()
    colours = {rule: body for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)
               for rule in re.findall(r"\.badge\.(meeting-status-[a-z_]+)", selectors)}
    assert colours["meeting-status-confirmed"] != colours["meeting-status-offered"]
    assert "--ok" in colours["meeting-status-confirmed"]
