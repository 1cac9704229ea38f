"""Fixtures of the client-area tests: two customers, signed-in clients, a clock in Madrid."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open

MADRID = ZoneInfo("Europe/Madrid")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MADRID)
SATURDAY_11 = datetime(2026, 11, 28, 11, 0, tzinfo=MADRID)


@pytest.fixture
def open_hours():
    """Wednesday noon in Madrid: support is open."""
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def weekend():
    """Saturday 11:00 in Madrid: support is closed until Monday 09:00."""
    with time_machine.travel(SATURDAY_11, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_customer(db):
    """Customer B, with its own contact, services and site."""
    return factories.customer(name="Otra Empresa SL", email="bea@otra-empresa.es")


@pytest.fixture
def ana(client, plan_customer):
    """The test client signed in as Ana, contact of the plan customer (Spanish)."""
    client.force_login(factories.contact_user(plan_customer))
    return client


def file_ticket(customer, *, subject="No puedo entrar al FTP", body="Desde esta mañana.",
                category="hosting", **extra):
    return ticket_open(customer=customer, contact=factories.contact_user(customer),
                       channel=Channel.PORTAL, subject=subject, body_text=body,
                       category=category, **extra).ticket
