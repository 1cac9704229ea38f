"""Fixtures of the quote tests: a clock in Madrid, tickets, drafted and sent quotes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open
from xuala.quotes.models import LineKind, Recurrence
from xuala.quotes.services import quote_draft, quote_line_add, quote_send

MADRID = ZoneInfo("Europe/Madrid")
# A week without Spanish national holidays: Monday 23 to Friday 27 November 2026.
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=MADRID)


def madrid(day: int, hour: int, minute: int = 0, *, month: int = 11, year: int = 2026):
    return datetime(year, month, day, hour, minute, tzinfo=MADRID)


@pytest.fixture
def clock():
    """Monday 23 November 2026, 12:00 in Madrid, standing still until moved."""
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_customer(db):
    return factories.customer(name="Otra Empresa SL", email="bea@otra-empresa.es")


@pytest.fixture
def english_customer(db):
    return factories.customer(name="Brit Hosting Ltd", email="tom@brit-hosting.co.uk",
                              language="en")


def open_ticket(customer, *, category: str = "hosting", subject: str = "Ampliar el disco",
                at: datetime = MONDAY_NOON):
    return ticket_open(customer=customer, contact=factories.contact_user(customer),
                       channel=Channel.PORTAL, subject=subject,
                       body_text="Necesitamos más espacio para la tienda.", category=category,
                       received_at=at).ticket


def add_standard_lines(quote, agent) -> None:
    """Two lines: 3 × 19.995 one-off work (59.99) and a 12.50 monthly upgrade."""
    quote_line_add(quote=quote, actor=agent, description="Migración de la tienda",
                   quantity=Decimal("3"), unit_price=Decimal("19.995"), kind=LineKind.WORK)
    quote_line_add(quote=quote, actor=agent, description="Ampliación a 50 GB de disco",
                   quantity=Decimal("1"), unit_price=Decimal("12.50"), kind=LineKind.UPGRADE,
                   recurrence=Recurrence.MONTHLY)


@pytest.fixture
def ticket(clock, hosting_customer):
    """A covered request of the customer without a plan, its clock running since Monday noon."""
    return open_ticket(hosting_customer)


@pytest.fixture
def draft(clock, ticket, agent_user):
    """A draft with the two standard lines, made on Monday at 13:00 (the clock stays there)."""
    clock.move_to(madrid(23, 13))
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    add_standard_lines(quote, agent_user)
    return quote


@pytest.fixture
def sent(draft, agent_user):
    """The draft, sent on Monday at 13:00 (the ticket then waits on it)."""
    quote_send(quote=draft, actor=agent_user)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def client_user(hosting_customer):
    return factories.contact_user(hosting_customer)
