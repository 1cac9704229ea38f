"""Plan extras are entitlements (the closing paragraph): content management, e-commerce
orders and transactions, customer service. A request in one of those areas is covered (on
the priority clock) for a client whose plan includes it, and needs a quote (§5) from anyone
else, with the plans that include it offered. Through the client area, the API and mail."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests import factories
from tests.api.conftest import secret_for
from tests.policy.door import compose, mail_door  # noqa: F401 (a fixture)
from xuala.customers.models import Contract
from xuala.desk.models import MessageKind, Status, Ticket, TriageState
from xuala.policy.schema import Billing

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=MADRID)
NEW = "/portal/tickets/new/"


@pytest.fixture(autouse=True)
def open_hours():
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def shop_customer(db):
    """A client on the e-commerce plan, whose extras include orders and content."""
    customer = factories.customer(name="Tienda Grande SL", email="rosa@tiendagrande.es")
    Contract.objects.create(customer=customer, plan_key="cobertura-ecommerce-anual",
                            billing=Billing.ANNUAL, starts_on=date(2020, 1, 1))
    return customer


def file_from_portal(client, customer, category: str, lang: str = ""):
    client.force_login(factories.contact_user(customer))
    response = client.post(f"{lang}{NEW}", {
        "about": "", "category": category, "subject": "Pedidos pendientes",
        "description": "Necesito que gestionéis los pedidos de esta semana."})
    assert response.status_code == 302, response.content
    return Ticket.objects.latest("pk")


def test_the_form_offers_the_extras_as_categories(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    page = client.get(NEW).content.decode()
    assert 'value="ecommerce_orders"' in page
    assert "Pedidos y transacciones de mi tienda online" in page
    english = client.get(f"/en{NEW}").content.decode()
    assert "My online shop&#x27;s orders and transactions" in english


def test_a_plan_with_the_extra_covers_the_request_on_the_priority_clock(client,
                                                                        shop_customer):
    ticket = file_from_portal(client, shop_customer, "ecommerce_orders")
    assert ticket.triage_decision == "covered" and ticket.triage_clause == "6.3"
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.ticket_class == "priority" and ticket.status == Status.NEW


def test_a_plan_without_the_extra_needs_a_quote_and_is_offered_the_plans(client,
                                                                          plan_customer):
    ticket = file_from_portal(client, plan_customer, "ecommerce_orders")
    assert ticket.triage_decision == "needs_quote" and ticket.triage_clause == "5"
    assert ticket.status == Status.WAITING_QUOTE
    answer = ticket.messages.filter(kind="auto").get().body_text
    assert "«Pedidos y transacciones de mi tienda online» no está incluido en su plan" in answer
    assert "Póliza de Cobertura Técnica Web Xuala Cloud E-commerce — anual" in answer
    assert "— mensual" not in answer


def test_a_client_without_a_plan_gets_the_same_answer_in_english(client, db):
    english = factories.customer(name="Shop Ltd", email="jo@shop.co.uk", language="en")
    ticket = file_from_portal(client, english, "customer_service", lang="/en")
    assert ticket.status == Status.WAITING_QUOTE
    answer = ticket.messages.filter(kind="auto").get().body_text
    assert "“Customer service for my business” is not included in your plan" in answer
    assert "Xuala Cloud Web Technical Coverage Policy, E-commerce — annual" in answer


def test_the_api_accepts_an_extra_as_a_category(client, shop_customer, plan_customer):
    from tests.api.conftest import ApiCaller

    agent = factories.agent()
    api = ApiCaller(client, secret_for(agent))
    for customer, decision in ((shop_customer, "covered"), (plan_customer, "needs_quote")):
        response = api.post("/api/v1/tickets", {
            "customer_id": customer.pk, "subject": "Textos de la portada",
            "body": "Cambiar los textos de la portada.", "category": "content_management"})
        assert response.status_code == 201, response.content
        assert Ticket.objects.get(pk=response.json()["id"]).triage_decision == decision
    categories = json.loads(api.post("/api/v1/tickets", {
        "customer_id": plan_customer.pk, "subject": "x", "body": "y",
        "category": "nope"}).content)["categories"]
    assert {"content_management", "ecommerce_orders", "customer_service"} <= set(categories)


def test_by_mail_free_text_about_orders_is_a_quote_or_covered(
        mail_door, shop_customer, plan_customer):  # noqa: F811
    covered = mail_door(compose(sender="rosa@tiendagrande.es", subject="Gestionar pedidos",
                              body="¿Podéis gestionar pedidos de la tienda esta semana?"))
    assert covered.ticket.triage_decision == "covered"
    assert covered.ticket.ticket_class == "priority"
    asked = mail_door(compose(sender="ana@cliente-demo.es", subject="Gestionar pedidos",
                            body="¿Podéis gestionar pedidos de la tienda esta semana?"))
    ticket = asked.ticket
    assert ticket.triage_decision == "needs_quote" and ticket.triage_rule == "ecommerce_orders"
    # The learned triage is sure of it: applied at once, the quote answer sent (§5).
    assert ticket.triage_state == TriageState.APPLIED
    assert ticket.status == Status.WAITING_QUOTE
    assert "cláusula 5)" in ticket.messages.get(kind=MessageKind.AUTO).body_text
