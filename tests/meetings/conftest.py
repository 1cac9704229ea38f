"""Fixtures of the meeting tests: an agent with availability, meeting tickets, a frozen clock.

The clock stands at Monday 23 November 2026, 12:00 in Madrid (a week without Spanish
national holidays). With the default policy (30 min, 24 h notice, 5 slots) and the agent
free 10:00–12:00 and 16:00–18:00 on weekdays, two slots a day spread over each day, the
offer is: Tue 24 16:00 and 17:00, Wed 25 10:00 and 16:00, Thu 26 10:00.
"""

from __future__ import annotations

import base64
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from icalendar import Calendar

from tests import factories
from tests.factories import contact_user
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.meetings.services import availability_add
from xuala.notify.models import OutboundEmail

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=MADRID)


def madrid(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MADRID)


EXPECTED_OFFER = [madrid(24, 16), madrid(24, 17), madrid(25, 10), madrid(25, 16), madrid(26, 10)]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_available(agent) -> None:
    for weekday in range(5):
        availability_add(agent=agent, weekday=weekday, starts=time(10), ends=time(12))
        availability_add(agent=agent, weekday=weekday, starts=time(16), ends=time(18))


@pytest.fixture
def available_agent(agent_user):
    make_available(agent_user)
    return agent_user


def meeting_ticket(customer, *, at: datetime = NOW, subject: str = "Necesito ayuda personal"):
    """A request the client files asking for personal help (triage: meeting, §4)."""
    return ticket_open(customer=customer, contact=contact_user(customer), channel=Channel.PORTAL,
                       subject=subject, body_text="¿Podemos vernos por videollamada?",
                       category="meeting", received_at=at).ticket


@pytest.fixture
def offered(frozen, available_agent, plan_customer, django_capture_on_commit_callbacks):
    """A meeting ticket whose request was offered the expected slots when it was opened."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = meeting_ticket(plan_customer)
    return ticket.meeting_requests.get()


def invitations(purpose: str = "meeting.invitation", to: str | None = None):
    rows = OutboundEmail.objects.filter(purpose=purpose).order_by("pk")
    if to:
        rows = rows.filter(to=to)
    return list(rows)


def parse_ics(row: OutboundEmail) -> tuple[Calendar, object]:
    """The .ics attached to an outbound mail, parsed back: (calendar, its VEVENT)."""
    (attachment,) = row.attachments
    assert attachment["content_type"].startswith("text/calendar; method=")
    calendar = Calendar.from_ical(base64.b64decode(attachment["content"]))
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def verified_agent_client(client, user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def other_customer(db):
    return factories.customer(name="Otra Empresa SL", email="rosa@otra-empresa.es")
