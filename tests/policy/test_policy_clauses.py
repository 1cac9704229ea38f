"""The policy decides its own clauses: renumber every clause in a copy of the policy file and
each answer follows (the clauses triage records, the texts sent to clients, the refusals'
errors) and so does the published article."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.factories import contact_user
from tests.policy.copies import policy_text_active
from xuala.customers.models import Billing, Contract
from xuala.desk.errors import ChannelRefused, CoverageRefused
from xuala.desk.models import Channel, MessageKind
from xuala.desk.services import client_channel_check, ticket_open
from xuala.intake.texts import not_client_answer, wrong_channel_answer
from xuala.policy.loader import default_policy_text
from xuala.policy.selectors import policy_active

pytestmark = pytest.mark.django_db

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Europe/Madrid"))
CLAUSE_LINE = re.compile(r'^((?:\w+_)?clause = ")(\d+)', re.MULTILINE)


def renumbered(number: str) -> str:
    """The clause a renumbered copy gives: ten more on the first level ("6.3.2" → "16.3.2")."""
    first, _, rest = number.partition(".")
    return str(int(first) + 10) + ("." + rest if rest else "")


@pytest.fixture(autouse=True)
def renumbered_policy(tmp_path, settings):
    text, count = CLAUSE_LINE.subn(lambda m: m.group(1) + str(int(m.group(2)) + 10),
                                   default_policy_text())
    assert count > 20  # every table's clause, the scope rules' and the services'
    policy_text_active(tmp_path, settings, text)
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        yield


def open_(customer, category=None, body="Necesito ayuda"):
    return ticket_open(customer=customer, contact=contact_user(customer), channel=Channel.PORTAL,
                       subject="Ayuda", body_text=body, category=category,
                       received_at=WEDNESDAY_NOON).ticket


def test_a_non_client_is_refused_citing_the_renumbered_scope_clause(lapsed_customer):
    with pytest.raises(CoverageRefused) as caught:
        open_(lapsed_customer, category="hosting")
    assert caught.value.clause == renumbered("6")
    assert f"cláusula {renumbered('6')})" in str(caught.value)


def test_a_refused_category_cites_its_renumbered_clause_in_the_answer(hosting_customer):
    ticket = open_(hosting_customer, category="mail_client")
    assert ticket.triage_clause == renumbered("6.1")
    auto = ticket.messages.get(kind=MessageKind.AUTO).body_text
    assert f"cláusula {renumbered('6.1')})" in auto


@pytest.mark.parametrize(("customer", "category", "clause"), [
    ("hosting", None, "2"),                   # plain cover: the standard response promise
    ("plan", None, "6.3.2"),                  # plain cover on a plan: the priority promise
    ("plan", "site_fault", "6.3.6"),          # a website fault, covered by the plan's review
    ("hosting", "site_fault", "6.2"),         # the same without a plan: needs one
    ("hosting", "content_management", "5"),   # a plan extra without the plan: a quote
    ("shop", "content_management", "6.3"),    # a plan extra the client's plan includes
])
def test_every_triage_decision_records_the_renumbered_clause(hosting_customer, plan_customer,
                                                             customer, category, clause):
    shop = factories.customer(name="Tienda Grande SL", email="rosa@tiendagrande.es")
    Contract.objects.create(customer=shop, plan_key="cobertura-ecommerce-anual",
                            billing=Billing.ANNUAL, starts_on=date(2020, 1, 1))
    who = {"hosting": hosting_customer, "plan": plan_customer, "shop": shop}[customer]
    assert open_(who, category=category).triage_clause == renumbered(clause)


def test_a_channel_the_policy_refuses_cites_the_renumbered_channels_clause():
    with pytest.raises(ChannelRefused) as caught:
        client_channel_check(channel=Channel.API)
    assert caught.value.clause == renumbered("3")


def test_the_mail_door_answers_cite_the_renumbered_clauses():
    loaded = policy_active()
    _, not_client = not_client_answer(loaded=loaded, original_subject="Hola")
    assert f"cláusula {renumbered('6')})" in not_client
    assert f"clause {renumbered('6')})" in not_client
    _, wrong = wrong_channel_answer(loaded=loaded, original_subject="Hola",
                                    to_address="ventas@modo3.net")
    assert f"cláusula {renumbered('3')})" in wrong and f"clause {renumbered('3')})" in wrong


def test_the_published_article_numbers_its_sections_from_the_file(client):
    page = client.get("/kb/politicas-de-asistencia-tecnica/").content.decode()
    sections = re.findall(r'id="s([\d.]+)"', page)
    expected = ["1", "2", "3", "4", "5", "6", "6.1", "6.2", "6.3", "6.3.1", "6.3.2", "6.3.3",
                "6.3.4", "6.3.5", "6.3.6"]
    assert sections == [renumbered(n) for n in expected]
