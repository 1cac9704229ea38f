"""Tenancy: a client's token never reads or writes another customer's data, on any route.

The route table below must name every operation of the NinjaAPI; a route added to the
API without a line here fails test_it_covers_every_route_of_the_api.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories
from tests.api.conftest import ApiCaller, secret_for
from xuala.api.api import api
from xuala.customers.models import Billing, Contract, ContractStatus
from xuala.desk.models import Channel, Message, Ticket
from xuala.desk.services import ticket_note, ticket_open
from xuala.notify.models import OutboundEmail


@dataclass
class World:
    """Customer A's objects, and customer B's client calling the API."""

    a_customer: object
    a_ticket: Ticket
    a_site: object
    a_service: object
    b: ApiCaller
    b_customer: object


@pytest.fixture
def world(client, plan_customer, hosting_customer, agent_user) -> World:
    a = plan_customer
    ticket = ticket_open(customer=a, contact=factories.contact_user(a), channel=Channel.PORTAL,
                         subject="Secreto de A", body_text="Contenido privado de A",
                         category="hosting").ticket
    ticket_note(ticket=ticket, author=agent_user, body_text="Nota interna de A")
    # B has objects of its own on every list, so an empty answer proves nothing by accident.
    ticket_open(customer=hosting_customer, contact=factories.contact_user(hosting_customer),
                channel=Channel.PORTAL, subject="De B", body_text="Hola", category="hosting")
    Contract.objects.create(customer=hosting_customer, plan_key="cobertura-anual",
                            billing=Billing.ANNUAL, status=ContractStatus.PENDING)
    b = ApiCaller(client, secret_for(factories.contact_user(hosting_customer)))
    return World(a_customer=a, a_ticket=ticket, a_site=a.sites.get(),
                 a_service=a.services.get(kind="web_hosting"), b=b,
                 b_customer=hosting_customer)


def _ticket(w: World) -> str:
    return f"/api/v1/tickets/{w.a_ticket.pk}"


# (method, OpenAPI path) -> (expected status for B, the calls B makes with A's ids).
# Each call is (method, url, query-or-body). A route that takes no id at all (the list of
# customers) is called plainly and must answer 200 with B's own objects only.
ROUTES = {
    ("get", "/api/v1/tickets"): (404, lambda w: [
        ("get", "/api/v1/tickets", {"customer_id": w.a_customer.pk})]),
    ("post", "/api/v1/tickets"): (404, lambda w: [
        ("post", "/api/v1/tickets", {"subject": "x", "body": "y", "category": "hosting",
                                     "customer_id": w.a_customer.pk}),
        ("post", "/api/v1/tickets", {"subject": "x", "body": "y", "category": "hosting",
                                     "site_id": w.a_site.pk}),
        ("post", "/api/v1/tickets", {"subject": "x", "body": "y", "category": "hosting",
                                     "service_id": w.a_service.pk})]),
    ("get", "/api/v1/tickets/{ticket_id}"): (404, lambda w: [("get", _ticket(w), {})]),
    ("post", "/api/v1/tickets/{ticket_id}/replies"): (404, lambda w: [
        ("post", _ticket(w) + "/replies", {"body": "¿Me ves?"})]),
    ("post", "/api/v1/tickets/{ticket_id}/status"): (403, lambda w: [
        ("post", _ticket(w) + "/status", {"status": "closed"})]),
    ("get", "/api/v1/customers"): (200, lambda w: [("get", "/api/v1/customers", {})]),
    ("get", "/api/v1/customers/{customer_id}"): (404, lambda w: [
        ("get", f"/api/v1/customers/{w.a_customer.pk}", {})]),
    ("get", "/api/v1/services"): (404, lambda w: [
        ("get", "/api/v1/services", {"customer_id": w.a_customer.pk})]),
    ("get", "/api/v1/sites"): (404, lambda w: [
        ("get", "/api/v1/sites", {"customer_id": w.a_customer.pk})]),
    ("get", "/api/v1/contracts"): (404, lambda w: [
        ("get", "/api/v1/contracts", {"customer_id": w.a_customer.pk})]),
    ("post", "/api/v1/antispam/check"): (404, lambda w: [
        ("post", "/api/v1/antispam/check", {"site_id": w.a_site.pk, "content": "hola"})]),
    # Node routes take node tokens only: a client's token is not one (tests/nodes).
    ("post", "/api/v1/nodes/claim"): (401, lambda w: [("post", "/api/v1/nodes/claim", {})]),
    ("post", "/api/v1/nodes/jobs/{job_id}/heartbeat"): (401, lambda w: [
        ("post", "/api/v1/nodes/jobs/1/heartbeat", {"attempt": 1})]),
    ("post", "/api/v1/nodes/jobs/{job_id}/result"): (401, lambda w: [
        ("post", "/api/v1/nodes/jobs/1/result", {"attempt": 1, "ok": True})]),
}


def _operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(method, path) for path, item in paths.items() for method in item}


def test_it_covers_every_route_of_the_api(db):
    operations = _operations()
    assert operations, "the API has no routes?"
    assert operations - set(ROUTES) == set(), "routes missing from the tenancy table"
    assert set(ROUTES) - operations == set(), "the tenancy table names routes that are gone"


def _call(caller: ApiCaller, method: str, url: str, data: dict):
    return caller.get(url, data) if method == "get" else caller.post(url, data)


def _owner(path: str, item: dict) -> int:
    return item["id"] if path == "/api/v1/customers" else item["customer_id"]


def _leaks(world: World, text: str) -> list[str]:
    secrets = ["Secreto de A", "Contenido privado de A", "Nota interna de A",
               world.a_customer.name, world.a_site.url]
    return [s for s in secrets if s in text]


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.usefixtures("api_accepted")
def test_a_client_gets_404_for_another_customers_objects_on_every_route(world, route):
    expected, calls = ROUTES[route]
    state = (Ticket.objects.count(), Message.objects.count(), OutboundEmail.objects.count(),
             world.a_ticket.status)
    for method, url, data in calls(world):
        assert method == route[0]
        response = _call(world.b, method, url, data)
        assert response.status_code == expected, (method, url, data, response.content)
        body = response.json()
        if expected == 200:
            assert body["items"] and {_owner(url, item) for item in body["items"]} == {
                world.b_customer.pk}
        else:
            assert body["code"] == {403: "agents_only", 401: "token_invalid"}.get(
                expected, "not_found")
        assert _leaks(world, response.content.decode()) == []
    world.a_ticket.refresh_from_db()
    assert (Ticket.objects.count(), Message.objects.count(), OutboundEmail.objects.count(),
            world.a_ticket.status) == state


def test_a_missing_object_and_another_customers_object_get_the_same_answer(world):
    foreign = world.b.get(f"/api/v1/tickets/{world.a_ticket.pk}")
    missing = world.b.get("/api/v1/tickets/987654321")
    assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize("path", sorted(path for method, path in ROUTES
                                        if method == "get" and "{" not in path))
def test_a_clients_lists_hold_nothing_of_another_customer(world, path):
    response = world.b.get(path)
    assert response.status_code == 200
    items = response.json()["items"]
    assert items, "the list should hold B's own objects"
    for item in items:
        assert _owner(path, item) == world.b_customer.pk, item
    assert _leaks(world, response.content.decode()) == []
