"""Meeting services: requests from triage, offers, picks, proposals, invitations, reminders."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction

from tests import factories
from tests.factories import contact_user
from tests.meetings.conftest import (
    EXPECTED_OFFER,
    NOW,
    invitations,
    madrid,
    make_available,
    meeting_ticket,
    parse_ics,
)
from xuala.desk.errors import InvalidTransition
from xuala.desk.models import Channel, Status
from xuala.desk.services import ticket_open, ticket_set_status, ticket_triage_apply
from xuala.meetings import services
from xuala.meetings.errors import NoFreeSlots, OutsideOpeningHours, SlotTaken
from xuala.meetings.models import Meeting, MeetingRequest, MeetingStatus, RequestStatus
from xuala.notify.models import OutboundEmail

pytestmark = pytest.mark.django_db


def _slot_at(request, instant):
    return request.slots.get(starts_at=instant)


def _pick(request, instant, *, now=NOW):
    return services.meeting_pick(request=request, slot_id=_slot_at(request, instant).pk,
                                 by=contact_user(request.customer), now=now)


# ---------------------------------------------------------------- opening and offering

def test_it_opens_a_request_for_a_meeting_ticket_and_offers_the_next_slots(offered):
    """Triage sends the ticket to a meeting: the ticket waits (clock paused), the request is
    offered five slots within hours and availability, and the client gets them by mail."""
    ticket = offered.ticket
    assert ticket.status == Status.MEETING
    assert ticket.paused_since == NOW
    assert offered.status == RequestStatus.OFFERED
    assert offered.agent is None
    assert [s.starts_at for s in offered.slots.all()] == EXPECTED_OFFER
    mail = OutboundEmail.objects.get(purpose="meeting.offer")
    assert mail.to == "ana@cliente-demo.es"
    assert "martes 24 noviembre 2026, 16:00–16:30 (CET)" in mail.body_text
    assert f"/portal/meetings/{offered.pk}/" in mail.body_text
    assert "cláusula 4" in mail.body_text
    keys = list(ticket.events.values_list("key", flat=True))
    assert "meeting.requested" in keys and "meeting.offered" in keys


def test_opening_is_idempotent(offered):
    again = services.meeting_request_open(ticket=offered.ticket)
    assert again.pk == offered.pk
    assert MeetingRequest.objects.count() == 1


def test_a_request_without_free_agents_waits_for_an_offer(frozen, plan_customer,
                                                          django_capture_on_commit_callbacks):
    """No agent keeps availability: the request is opened, nothing is offered, no error."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = meeting_ticket(plan_customer)
    request = ticket.meeting_requests.get()
    assert request.status == RequestStatus.REQUESTED
    assert not request.slots.exists()
    with pytest.raises(NoFreeSlots):
        services.meeting_offer(request=request, now=NOW)


def test_an_email_asking_for_a_call_gets_a_request_once_the_agent_applies_triage(
        unsure_model, frozen, available_agent, hosting_customer,
        django_capture_on_commit_callbacks):
    """Free text asking to be called, when the triage is unsure, is a proposal; applying it
    opens the request."""
    ticket = ticket_open(customer=hosting_customer, contact=contact_user(hosting_customer),
                         channel=Channel.EMAIL, subject="¿Me podéis llamar?",
                         body_text="Prefiero una videollamada, llamadme cuando podáis.",
                         received_at=NOW).ticket
    assert ticket.triage_decision == "meeting"
    assert not ticket.meeting_requests.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_triage_apply(ticket=ticket, actor=available_agent)
    request = ticket.meeting_requests.get()
    assert request.status == RequestStatus.OFFERED
    assert request.slots.count() == 5


def test_an_email_asking_for_a_call_gets_a_request_at_once_when_the_triage_is_sure(
        frozen, available_agent, hosting_customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_open(customer=hosting_customer, contact=contact_user(hosting_customer),
                             channel=Channel.EMAIL, subject="¿Me podéis llamar?",
                             body_text="Prefiero una videollamada, llamadme cuando podáis.",
                             received_at=NOW).ticket
    assert (ticket.triage_decision, ticket.triage_state) == ("meeting", "applied")
    request = ticket.meeting_requests.get()
    assert request.status == RequestStatus.OFFERED
    assert request.slots.count() == 5


def test_the_assignees_time_is_offered_first(frozen, available_agent, plan_customer):
    """Unassigned, every agent with availability is offered; once the ticket is assigned to
    an agent who keeps availability, only that agent's time is."""
    early = factories.agent("temprano@modo3.net")
    for weekday in range(5):
        services.availability_add(agent=early, weekday=weekday, starts=time(9), ends=time(10))
    ticket = meeting_ticket(plan_customer)
    request = ticket.meeting_requests.get()
    rows = services.meeting_offer(request=request, now=NOW)
    assert {row.agent_id for row in rows} == {early.pk, available_agent.pk}
    assert rows[2].starts_at == madrid(25, 9) and rows[2].agent_id == early.pk
    ticket.assignee = available_agent
    ticket.save()
    request = MeetingRequest.objects.get(pk=request.pk)
    rows = services.meeting_offer(request=request, now=NOW)
    assert {row.agent_id for row in rows} == {available_agent.pk}
    assert [r.starts_at for r in rows] == EXPECTED_OFFER


# ---------------------------------------------------------------- picking

def test_a_pick_confirms_the_meeting_and_invites_both_sides(offered, available_agent):
    meeting = _pick(offered, madrid(25, 10))
    offered.refresh_from_db()
    assert offered.status == RequestStatus.CONFIRMED and offered.agent == available_agent
    assert meeting.status == MeetingStatus.CONFIRMED
    assert meeting.starts_at == madrid(25, 10) and meeting.ends_at == madrid(25, 10, 30)
    assert meeting.room_url.startswith("https://meet.jit.si/xuala-")
    assert len(meeting.room_url) > len("https://meet.jit.si/xuala-") + 15
    assert meeting.reminder_at == madrid(25, 9)
    ticket = offered.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.MEETING  # waits, paused, until the meeting is held
    event = ticket.events.get(key="meeting.confirmed")
    assert event.data["by"] == "client"
    assert event.data["starts_at"] == "2026-11-25T09:00:00+00:00"

    to_client = invitations(to="ana@cliente-demo.es")
    to_agent = invitations(to=available_agent.email)
    assert len(to_client) == len(to_agent) == 1
    assert "miércoles 25 noviembre 2026, 10:00 (CET)" in to_client[0].body_text
    assert meeting.room_url in to_client[0].body_text
    for row in (to_client[0], to_agent[0]):
        calendar, event = parse_ics(row)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == meeting.uid
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == madrid(25, 10)
        assert event.decoded("DTEND") == madrid(25, 10, 30)
        assert event["DTSTART"].to_ical() == b"20261125T090000Z"
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["LOCATION"]) == meeting.room_url == str(event["URL"])
        assert str(event["ORGANIZER"]) == "mailto:asistencia@modo3.net"
        assert sorted(str(a) for a in event["ATTENDEE"]) == [
            "mailto:agente@modo3.net", "mailto:ana@cliente-demo.es"]
        assert ticket.reference in str(event["DESCRIPTION"])


def test_the_invitation_speaks_the_tickets_language(frozen, available_agent,
                                                    django_capture_on_commit_callbacks):
    english = factories.customer(name="English Ltd", email="tom@english.example",
                                 language="en")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = meeting_ticket(english, subject="Personal help")
    request = ticket.meeting_requests.get()
    offer = OutboundEmail.objects.get(purpose="meeting.offer")
    assert "Tuesday 24 November 2026, 16:00–16:30 (CET)" in offer.body_text
    assert "/en/portal/meetings/" in offer.body_text
    _pick(request, madrid(24, 16))
    (row,) = invitations(to="tom@english.example")
    assert row.subject.startswith(f"[{ticket.reference}] Meeting confirmed")
    _calendar, event = parse_ics(row)
    assert "Virtual meeting about request" in str(event["DESCRIPTION"])


def test_a_taken_slot_is_refused_with_the_next_free_slots(offered, available_agent,
                                                          other_customer):
    """Another customer books the same time first: this pick fails and lists new slots,
    which are stored as the new offer."""
    other = meeting_ticket(other_customer).meeting_requests.get()
    services.meeting_offer(request=other, now=NOW, notify=False)
    _pick(other, madrid(24, 16))
    with pytest.raises(SlotTaken) as caught:
        _pick(offered, madrid(24, 16))
    alternatives = [s.starts_at for s in caught.value.alternatives]
    assert madrid(24, 16) not in alternatives
    assert alternatives[0] == madrid(24, 16, 30)
    assert len(alternatives) == 5
    offered.refresh_from_db()
    assert offered.status == RequestStatus.OFFERED
    assert [s.starts_at for s in offered.slots.all()] == alternatives
    assert Meeting.objects.count() == 1


def test_a_pick_after_the_agent_took_the_day_off_is_refused(offered, available_agent):
    services.availability_exception_add(agent=available_agent, date=madrid(24, 0).date(),
                                        kind="off")
    with pytest.raises(SlotTaken):
        _pick(offered, madrid(24, 16))
    assert not Meeting.objects.exists()


def test_the_same_pick_twice_gives_the_same_meeting(offered):
    slot = _slot_at(offered, madrid(24, 17))
    first = services.meeting_pick(request=offered, slot_id=slot.pk,
                                  by=contact_user(offered.customer), now=NOW)
    again = services.meeting_pick(request=offered, slot_id=slot.pk,
                                  by=contact_user(offered.customer), now=NOW)
    assert first.pk == again.pk
    assert len(invitations(to="ana@cliente-demo.es")) == 1


def test_another_customer_cannot_pick(offered, other_customer):
    slot = offered.slots.first()
    with pytest.raises(InvalidTransition) as caught:
        services.meeting_pick(request=offered, slot_id=slot.pk,
                              by=contact_user(other_customer), now=NOW)
    assert caught.value.code == "not_yours"
    assert not Meeting.objects.exists()


def test_the_database_refuses_two_confirmed_meetings_of_one_agent_at_one_start(offered,
                                                                               available_agent):
    meeting = _pick(offered, madrid(24, 16))
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(request=offered, agent=available_agent,
                               starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                               room_url="https://meet.jit.si/x", uid="another@modo3.net")
    # A cancelled meeting frees the start for another one.
    services.meeting_cancel(meeting=meeting, actor=available_agent, now=NOW)
    Meeting.objects.create(request=offered, agent=available_agent, starts_at=meeting.starts_at,
                           ends_at=meeting.ends_at, room_url="https://meet.jit.si/y",
                           uid="third@modo3.net")


# ---------------------------------------------------------------- proposals and confirmation

def test_the_client_proposes_and_the_agent_confirms(offered, available_agent):
    client = contact_user(offered.customer)
    proposal = services.meeting_propose(request=offered, by=client,
                                        text="Mejor el viernes a primera hora.",
                                        times=[madrid(27, 9)], now=NOW)
    offered.refresh_from_db()
    assert offered.status == RequestStatus.PROPOSED_BY_CLIENT
    assert proposal.instants == [madrid(27, 9)]
    note = OutboundEmail.objects.get(purpose="meeting.proposal")
    assert note.to == "equipo@modo3.net"
    assert "Mejor el viernes a primera hora." in note.body_text
    # 09:00 is outside this agent's weekly windows, but the agent may choose it knowingly.
    meeting = services.meeting_confirm(request=offered, starts_at=madrid(27, 9),
                                       agent=available_agent, actor=available_agent, now=NOW)
    assert meeting.starts_at == madrid(27, 9)
    offered.refresh_from_db()
    assert offered.status == RequestStatus.CONFIRMED
    assert offered.ticket.events.get(key="meeting.confirmed").data["by"] == "agent"
    assert len(invitations()) == 2


def test_a_confirmation_outside_opening_hours_or_overlapping_is_refused(offered,
                                                                         available_agent):
    for closed in (madrid(27, 20), madrid(28, 10), madrid(8, 10, month=12)):
        with pytest.raises(OutsideOpeningHours) as caught:
            services.meeting_confirm(request=offered, starts_at=closed, agent=available_agent,
                                     actor=available_agent, now=NOW)
        assert caught.value.clause == "1"
    other = factories.customer(name="Tercera SL", email="pepa@tercera.es")
    first = meeting_ticket(other).meeting_requests.get()
    services.meeting_confirm(request=first, starts_at=madrid(27, 9), agent=available_agent,
                             actor=available_agent, now=NOW)
    with pytest.raises(SlotTaken):
        services.meeting_confirm(request=offered, starts_at=madrid(27, 9, 15),
                                 agent=available_agent, actor=available_agent, now=NOW)
    with pytest.raises(SlotTaken):
        services.meeting_confirm(request=offered, starts_at=madrid(20, 10),
                                 agent=available_agent, actor=available_agent, now=NOW)


def test_a_proposal_needs_text_or_times_in_the_future(offered):
    client = contact_user(offered.customer)
    with pytest.raises(InvalidTransition):
        services.meeting_propose(request=offered, by=client, text="  ", now=NOW)
    with pytest.raises(InvalidTransition):
        services.meeting_propose(request=offered, by=client, text="ayer",
                                 times=[NOW - timedelta(days=1)], now=NOW)


# ---------------------------------------------------------------- reschedule and cancel

def test_rescheduling_keeps_the_uid_and_raises_the_sequence(offered, available_agent):
    meeting = _pick(offered, madrid(24, 16))
    moved = services.meeting_reschedule(meeting=meeting, starts_at=madrid(26, 17),
                                        actor=available_agent, now=NOW)
    assert moved.uid == meeting.uid and moved.sequence == 1
    assert moved.starts_at == madrid(26, 17) and moved.ends_at == madrid(26, 17, 30)
    assert moved.reminder_at == madrid(26, 16)
    offered.refresh_from_db()
    assert offered.status == RequestStatus.RESCHEDULED
    _first, second = invitations(to="ana@cliente-demo.es")
    assert "jueves 26 noviembre 2026, 17:00 (CET)" in second.subject
    calendar, event = parse_ics(second)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == meeting.uid
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == madrid(26, 17)
    event_row = offered.ticket.events.get(key="meeting.rescheduled")
    assert event_row.data["old_starts_at"] == "2026-11-24T15:00:00+00:00"
    assert event_row.data["starts_at"] == "2026-11-26T16:00:00+00:00"

    cancelled = services.meeting_cancel(meeting=moved, actor=available_agent,
                                        reason="El cliente no puede", now=NOW)
    assert cancelled.sequence == 2 and cancelled.status == MeetingStatus.CANCELLED
    assert cancelled.reminder_at is None
    third = invitations(to="ana@cliente-demo.es")[-1]
    calendar, event = parse_ics(third)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == meeting.uid and event["SEQUENCE"] == 2
    offered.refresh_from_db()
    assert offered.status == RequestStatus.CANCELLED
    ticket = offered.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.paused_since is None
    with pytest.raises(InvalidTransition):
        services.meeting_cancel(meeting=cancelled, actor=available_agent, now=NOW)


def test_moving_a_meeting_to_another_agent_withdraws_the_first(offered, available_agent):
    meeting = _pick(offered, madrid(24, 16))
    colleague = factories.agent("colega@modo3.net")
    make_available(colleague)
    services.meeting_reschedule(meeting=meeting, starts_at=madrid(24, 16), agent=colleague,
                                actor=available_agent, now=NOW)
    (withdrawn,) = invitations(to=available_agent.email)[1:]
    calendar, event = parse_ics(withdrawn)
    assert str(calendar["METHOD"]) == "CANCEL" and event["SEQUENCE"] == 1
    (invite,) = invitations(to=colleague.email)
    calendar, event = parse_ics(invite)
    assert str(calendar["METHOD"]) == "REQUEST" and event["SEQUENCE"] == 1


def test_a_reschedule_onto_a_busy_time_is_refused(offered, available_agent, other_customer):
    meeting = _pick(offered, madrid(24, 16))
    other = meeting_ticket(other_customer).meeting_requests.get()
    services.meeting_confirm(request=other, starts_at=madrid(25, 10), agent=available_agent,
                             actor=available_agent, now=NOW)
    with pytest.raises(SlotTaken):
        services.meeting_reschedule(meeting=meeting, starts_at=madrid(25, 10),
                                    actor=available_agent, now=NOW)
    meeting.refresh_from_db()
    assert meeting.sequence == 0 and meeting.starts_at == madrid(24, 16)


def test_a_held_meeting_sends_the_ticket_back_to_work(offered, available_agent):
    meeting = _pick(offered, madrid(24, 16))
    with pytest.raises(InvalidTransition):
        services.meeting_done(meeting=meeting, actor=available_agent, now=NOW)
    services.meeting_done(meeting=meeting, actor=available_agent, now=madrid(24, 16, 35))
    offered.refresh_from_db()
    assert offered.status == RequestStatus.DONE
    ticket = offered.ticket
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.pauses.get().ended_at == madrid(24, 16, 35)
    # A new request on the same ticket is possible now.
    again = services.meeting_request_open(ticket=ticket, offer=False)
    assert again.pk != offered.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.MEETING


def test_a_closed_ticket_cannot_get_a_meeting(frozen, plan_customer, agent_user):
    ticket = ticket_open(customer=plan_customer, contact=contact_user(plan_customer),
                         channel=Channel.PORTAL, subject="Gracias", body_text="Resuelto",
                         category="hosting", received_at=NOW).ticket
    ticket_set_status(ticket=ticket, status=Status.RESOLVED, actor=agent_user)
    with pytest.raises(InvalidTransition):
        services.meeting_request_open(ticket=ticket, actor=agent_user)
    assert not MeetingRequest.objects.exists()


# ---------------------------------------------------------------- reminders

def test_the_reminder_goes_out_once_an_hour_before(offered, available_agent):
    meeting = _pick(offered, madrid(25, 10))
    assert services.meeting_reminders_step(now=madrid(25, 8, 59)) == 0
    assert services.meeting_reminders_step(now=madrid(25, 9)) == 1
    assert services.meeting_reminders_step(now=madrid(25, 9, 1)) == 0
    reminders = invitations(purpose="meeting.reminder")
    assert sorted(r.to for r in reminders) == ["agente@modo3.net", "ana@cliente-demo.es"]
    to_client = next(r for r in reminders if r.to == "ana@cliente-demo.es")
    assert meeting.room_url in to_client.body_text
    meeting.refresh_from_db()
    assert meeting.reminder_at is None and meeting.reminder_sent_at == madrid(25, 9)
    assert offered.ticket.events.filter(key="meeting.reminded").count() == 1


def test_a_rescheduled_meeting_is_reminded_again_and_a_cancelled_one_never(offered,
                                                                          available_agent):
    meeting = _pick(offered, madrid(24, 16))
    assert services.meeting_reminders_step(now=madrid(24, 15)) == 1
    services.meeting_reschedule(meeting=meeting, starts_at=madrid(26, 10),
                                actor=available_agent, now=madrid(24, 15, 30))
    assert services.meeting_reminders_step(now=madrid(26, 9)) == 1
    other = factories.customer(name="Cuarta SL", email="leo@cuarta.es")
    request = meeting_ticket(other).meeting_requests.get()
    second = services.meeting_confirm(request=request, starts_at=madrid(27, 10),
                                      agent=available_agent, actor=available_agent, now=NOW)
    services.meeting_cancel(meeting=second, actor=available_agent, now=NOW)
    assert services.meeting_reminders_step(now=madrid(27, 9, 30)) == 0
    assert len(invitations(purpose="meeting.reminder")) == 4


def test_a_meeting_booked_within_the_hour_gets_no_reminder(offered, available_agent):
    meeting = _pick(offered, madrid(24, 16), now=madrid(24, 15, 30))
    assert meeting.reminder_at is None
    assert services.meeting_reminders_step(now=madrid(24, 15, 59)) == 0


def test_the_room_url_follows_the_setting(settings):
    settings.XUALA_MEETING_ROOM_URL = "https://video.modo3.net/{token}"
    first, second = services.room_url_new(), services.room_url_new()
    assert first.startswith("https://video.modo3.net/") and first != second
    settings.XUALA_MEETING_ROOM_URL = "https://video.modo3.net/fixed"
    with pytest.raises(Exception, match="token"):
        services.room_url_new()


def test_reminders_can_be_turned_off(settings, offered):
    settings.XUALA_MEETING_REMINDER_MINUTES = 0
    meeting = _pick(offered, madrid(25, 10))
    assert meeting.reminder_at is None
    assert services.meeting_reminders_step(now=madrid(25, 9, 59)) == 0
