"""Tickets through the REST API: open, read, reply, change status, list and paginate."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from xuala.desk.models import Channel, MessageKind, Status, Ticket
from xuala.desk.services import ticket_note, ticket_open, ticket_reply
from xuala.notify.models import OutboundEmail

TICKETS = "/api/v1/tickets"
MADRID = ZoneInfo("Europe/Madrid")


def open_ticket(customer, *, subject="Web lenta", category="hosting", **kwargs) -> Ticket:
    return ticket_open(customer=customer, contact=factories.contact_user(customer),
                       channel=Channel.PORTAL, subject=subject, body_text="Va muy lenta",
                       category=category, **kwargs).ticket


# ---------------------------------------------------------------- opening

@pytest.mark.usefixtures("api_accepted")
def test_it_opens_a_ticket_for_the_clients_customer_and_queues_the_acknowledgement(
        plan_client, plan_customer):
    site = plan_customer.sites.get()
    response = plan_client.post(TICKETS, {"subject": "La tienda no carga",
                                          "body": "Desde esta mañana da error 500",
                                          "category": "site_fault", "site_id": site.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert ticket.customer == plan_customer
    assert ticket.contact == factories.contact_user(plan_customer)
    assert ticket.channel == Channel.API == body["channel"]
    assert ticket.site == site and body["site_id"] == site.pk
    assert body["reference"] == f"#{ticket.pk}"
    assert body["class"] == "priority"
    assert body["triage"] == {"decision": "covered", "clause": "6.3.6", "state": "applied"}
    assert body["messages"][0]["body_text"] == "Desde esta mañana da error 500"
    assert body["due_at"] and body["target_at"] and body["paused"] is False
    ack = OutboundEmail.objects.get(purpose="ticket.ack")
    assert ack.ticket == ticket and ack.to == "ana@cliente-demo.es"


@pytest.mark.usefixtures("api_accepted")
def test_it_tells_when_a_request_out_of_hours_will_be_attended(plan_client):
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=MADRID)
    with time_machine.travel(saturday, tick=False):
        response = plan_client.post(TICKETS, {"subject": "Duda", "body": "Una consulta",
                                              "category": "hosting"})
    assert response.status_code == 201
    attended = datetime.fromisoformat(response.json()["attended_from"])
    assert attended == datetime(2026, 11, 30, 9, 0, tzinfo=MADRID)


@pytest.mark.usefixtures("api_accepted")
def test_it_refuses_a_customer_without_an_active_service_with_the_clause_and_no_ticket(
        lapsed_client, lapsed_customer):
    response = lapsed_client.post(TICKETS, {"subject": "Ayuda", "body": "Mi web",
                                            "category": "hosting"})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "coverage_refused"
    assert body["clause"] == "6"
    assert "servicio contratado" in body["detail"]
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.usefixtures("api_accepted")
def test_it_rejects_an_unknown_category_and_lists_the_valid_ones(plan_client):
    response = plan_client.post(TICKETS, {"subject": "x", "body": "y", "category": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_category"
    assert "hosting" in body["categories"] and "site_down" in body["categories"]
    assert not Ticket.objects.exists()


@pytest.mark.usefixtures("api_accepted")
def test_it_rejects_a_blank_subject_with_a_clear_error(plan_client):
    response = plan_client.post(TICKETS, {"subject": "   ", "body": "y"})
    assert response.status_code == 400
    assert response.json()["code"] == "empty"
    missing = plan_client.post(TICKETS, {"body": "y"})
    assert missing.status_code == 422
    assert missing.json()["code"] == "invalid"
    assert missing.json()["errors"][0]["loc"][-1] == "subject"
    assert not Ticket.objects.exists()


def test_a_client_cannot_open_a_ticket_in_a_contacts_name(plan_client):
    response = plan_client.post(TICKETS, {"subject": "x", "body": "y",
                                          "contact_email": "luis@sinplan-demo.es"})
    assert response.status_code == 400
    assert response.json()["code"] == "agents_only"


def test_an_agent_opens_a_ticket_for_a_customer_and_its_contact(agent_api, hosting_customer):
    response = agent_api.post(TICKETS, {"subject": "Aviso", "body": "Revisamos su correo",
                                        "category": "mail_server",
                                        "customer_id": hosting_customer.pk,
                                        "contact_email": "LUIS@sinplan-demo.es"})
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.customer == hosting_customer
    assert ticket.contact.email == "luis@sinplan-demo.es"
    assert ticket.channel == Channel.API


def test_an_agent_must_name_the_customer_and_a_contact_of_that_customer(
        agent_api, hosting_customer, plan_customer):
    missing = agent_api.post(TICKETS, {"subject": "x", "body": "y"})
    assert missing.status_code == 400 and missing.json()["code"] == "customer_required"
    foreign = agent_api.post(TICKETS, {"subject": "x", "body": "y",
                                       "customer_id": hosting_customer.pk,
                                       "contact_email": "ana@cliente-demo.es"})
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------- reading

def test_a_client_sees_the_public_conversation_and_an_agent_sees_notes_too(
        plan_client, agent_api, plan_customer, agent_user):
    ticket = open_ticket(plan_customer)
    ticket_note(ticket=ticket, author=agent_user, body_text="Cliente importante")
    client_view = plan_client.get(f"{TICKETS}/{ticket.pk}").json()
    agent_view = agent_api.get(f"{TICKETS}/{ticket.pk}").json()
    assert [m["kind"] for m in client_view["messages"]] == ["client"]
    assert [m["kind"] for m in agent_view["messages"]] == ["client", "note"]
    assert "Cliente importante" not in str(client_view)
    assert agent_view["messages"][1]["author"] == "Agente"


def test_it_answers_404_for_a_ticket_that_does_not_exist(plan_client):
    response = plan_client.get(f"{TICKETS}/999999")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No encontrado."}


def test_it_answers_422_for_an_id_that_is_not_a_number_or_too_large(plan_client):
    assert plan_client.get(f"{TICKETS}/abc").status_code == 422
    assert plan_client.get(f"{TICKETS}/{2**64}").status_code == 422


# ---------------------------------------------------------------- replies and status

def test_a_client_reply_reopens_a_ticket_waiting_on_it(plan_client, plan_customer, agent_user):
    ticket = open_ticket(plan_customer)
    ticket_reply(ticket=ticket, author=agent_user, body_text="¿Qué URL?")
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CLIENT
    response = plan_client.post(f"{TICKETS}/{ticket.pk}/replies",
                                {"body": "https://www.cliente-demo.es/tienda"})
    assert response.status_code == 201
    assert response.json()["kind"] == "client"
    assert response.json()["channel"] == "api"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.last().body_text == "https://www.cliente-demo.es/tienda"


def test_an_agent_reply_answers_the_client_and_stops_the_response_clock(
        agent_api, plan_customer, agent_user):
    ticket = open_ticket(plan_customer)
    response = agent_api.post(f"{TICKETS}/{ticket.pk}/replies", {"body": "Lo miramos ya"})
    assert response.status_code == 201
    assert response.json()["kind"] == "reply"
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Status.WAITING_CLIENT
    assert ticket.assignee == agent_user
    assert OutboundEmail.objects.filter(purpose="ticket.reply", ticket=ticket).exists()


def test_an_agent_changes_the_status_and_a_waiting_status_pauses_the_clock(
        agent_api, plan_customer):
    ticket = open_ticket(plan_customer)
    response = agent_api.post(f"{TICKETS}/{ticket.pk}/status", {"status": "waiting_client"})
    assert response.status_code == 200
    assert response.json()["status"] == "waiting_client"
    assert response.json()["paused"] is True
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CLIENT and ticket.paused_since is not None


def test_an_impossible_status_change_is_a_409_and_changes_nothing(agent_api, plan_customer):
    ticket = open_ticket(plan_customer)
    agent_api.post(f"{TICKETS}/{ticket.pk}/status", {"status": "closed"})
    response = agent_api.post(f"{TICKETS}/{ticket.pk}/status", {"status": "resolved"},
                              headers={"Accept-Language": "en"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition" and body["current_status"] == "closed"
    assert body["detail"] == "A ticket cannot go from “Closed” to “Resolved”."
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_an_unknown_status_is_a_422(agent_api, plan_customer):
    ticket = open_ticket(plan_customer)
    response = agent_api.post(f"{TICKETS}/{ticket.pk}/status", {"status": "frozen"})
    assert response.status_code == 422


def test_a_client_cannot_change_a_status(plan_client, plan_customer):
    ticket = open_ticket(plan_customer)
    response = plan_client.post(f"{TICKETS}/{ticket.pk}/status", {"status": "closed"})
    assert response.status_code == 403
    assert response.json()["code"] == "agents_only"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_an_agents_reply_on_a_closed_ticket_is_a_409_and_writes_nothing(
        agent_api, plan_customer):
    ticket = open_ticket(plan_customer)
    agent_api.post(f"{TICKETS}/{ticket.pk}/status", {"status": "closed"})
    response = agent_api.post(f"{TICKETS}/{ticket.pk}/replies", {"body": "Hola"})
    assert response.status_code == 409
    assert not ticket.messages.filter(kind=MessageKind.REPLY).exists()


# ---------------------------------------------------------------- lists

def test_it_paginates_a_clients_tickets_newest_first(plan_client, plan_customer):
    ids = [open_ticket(plan_customer, subject=f"Consulta {n}").pk for n in range(7)]
    first = plan_client.get(TICKETS, {"page_size": 3}).json()
    assert first["count"] == 7 and first["pages"] == 3 and first["page"] == 1
    assert [t["id"] for t in first["items"]] == ids[::-1][:3]
    third = plan_client.get(TICKETS, {"page_size": 3, "page": 3}).json()
    assert [t["id"] for t in third["items"]] == [ids[0]]
    beyond = plan_client.get(TICKETS, {"page_size": 3, "page": 9}).json()
    assert beyond["items"] == [] and beyond["count"] == 7
    assert plan_client.get(TICKETS, {"page_size": 101}).status_code == 422
    assert plan_client.get(TICKETS, {"page": 0}).status_code == 422
    assert plan_client.get(TICKETS).json()["page_size"] == 25


def test_a_client_lists_only_its_own_customers_tickets(plan_client, plan_customer,
                                                      hosting_customer):
    own = open_ticket(plan_customer)
    open_ticket(hosting_customer)
    listed = plan_client.get(TICKETS).json()
    assert [t["id"] for t in listed["items"]] == [own.pk]
    assert listed["count"] == 1


def test_an_agent_lists_every_ticket_with_filters(agent_api, plan_customer, hosting_customer):
    plan_ticket = open_ticket(plan_customer)
    hosting_ticket = open_ticket(hosting_customer)
    refused = open_ticket(hosting_customer, category="third_party")
    everything = agent_api.get(TICKETS).json()
    assert {t["id"] for t in everything["items"]} == {plan_ticket.pk, hosting_ticket.pk,
                                                      refused.pk}
    by_customer = agent_api.get(TICKETS, {"customer_id": hosting_customer.pk}).json()
    assert {t["id"] for t in by_customer["items"]} == {hosting_ticket.pk, refused.pk}
    by_class = agent_api.get(TICKETS, {"class": "priority"}).json()
    assert [t["id"] for t in by_class["items"]] == [plan_ticket.pk]
    by_status = agent_api.get(TICKETS, {"status": "resolved"}).json()
    assert [t["id"] for t in by_status["items"]] == [refused.pk]
    assert agent_api.get(TICKETS, {"class": "urgentisimo"}).status_code == 422
    assert agent_api.get(TICKETS, {"customer_id": 987654}).status_code == 404


@pytest.mark.parametrize("params", [{"status": "new"}, {"class": "standard"}])
def test_a_clients_filters_stay_within_its_customer(hosting_client, hosting_customer,
                                                    plan_customer, params):
    own = open_ticket(hosting_customer)
    open_ticket(plan_customer, category="other")
    other_standard = open_ticket(plan_customer, category="hosting")
    listed = hosting_client.get(TICKETS, params).json()
    assert [t["id"] for t in listed["items"]] == [own.pk]
    assert other_standard.pk not in [t["id"] for t in listed["items"]]


def test_listing_tickets_costs_the_same_queries_for_many_tickets(
        agent_api, plan_customer, django_assert_num_queries):
    open_ticket(plan_customer)
    agent_api.get(TICKETS)  # warm the policy cache and stamp the token's last use
    with CaptureQueriesContext(connection) as one:
        agent_api.get(TICKETS)
    for n in range(6):
        open_ticket(plan_customer, subject=f"Más {n}")
    with django_assert_num_queries(len(one.captured_queries)):
        response = agent_api.get(TICKETS)
    assert response.json()["count"] == 7
