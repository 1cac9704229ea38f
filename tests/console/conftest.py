"""Fixtures of the console tests: verified agent sessions and tickets at fixed instants."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.factories import contact_user
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open

MADRID = ZoneInfo("Europe/Madrid")
# A week without Spanish national holidays: Monday 23 to Friday 27 November 2026.
MONDAY = datetime(2026, 11, 23, tzinfo=MADRID)


def madrid(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MADRID)


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def verify_session(client, user, device: TOTPDevice | None = None):
    """Sign ``user`` in on ``client`` with an OTP-verified session, as the code step leaves it."""
    device = device or confirmed_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def open_ticket(customer, *, subject: str = "Consulta sobre mi cuenta",
                body: str = "Necesito ayuda con una consulta.", at: datetime | None = None,
                **kwargs):
    return ticket_open(customer=customer, contact=contact_user(customer), channel=Channel.PORTAL,
                       subject=subject, body_text=body, received_at=at or madrid(25, 12),
                       **kwargs).ticket


@pytest.fixture
def agent_client(client, agent_user):
    """A test client signed in as an agent whose session passed the TOTP step."""
    return verify_session(client, agent_user)


@pytest.fixture
def other_agent(db):
    return factories.agent("otra@modo3.net")
