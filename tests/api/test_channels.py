"""§3 through the API: a client's token opens tickets only when the policy lists the API
among its channels (the default policy does not); agents' tokens keep their access, and the
published article names exactly the channels the file accepts."""

from __future__ import annotations

import re

import pytest

from xuala.desk.models import Ticket

TICKETS = "/api/v1/tickets"
REQUEST = {"subject": "Copia de seguridad", "body": "¿Cuándo se hizo la última copia?",
           "category": "hosting"}


def article(client, url: str) -> str:
    return re.sub(r"\s+", " ", client.get(url).content.decode())


def test_a_clients_token_cannot_open_a_ticket_under_the_default_policy(plan_client):
    response = plan_client.post(TICKETS, REQUEST, headers={"Accept-Language": "es"})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "channel_not_accepted" and body["clause"] == "3"
    assert "el formulario de tickets de su Área de Cliente" in body["detail"]
    assert "asistencia@modo3.net" in body["detail"] and "API" not in body["detail"]
    english = plan_client.post(TICKETS, REQUEST, headers={"Accept-Language": "en"}).json()
    assert "the ticket form of your Client Area" in english["detail"]
    assert not Ticket.objects.exists()


def test_a_clients_token_can_still_read_its_tickets(plan_client):
    assert plan_client.get(TICKETS).status_code == 200


def test_an_agents_token_opens_a_ticket_for_a_client(agent_api, plan_customer):
    response = agent_api.post(TICKETS, {**REQUEST, "customer_id": plan_customer.pk})
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().channel == "api"


@pytest.mark.usefixtures("api_accepted")
def test_a_policy_that_lists_the_api_lets_clients_open_tickets_and_publishes_it(plan_client,
                                                                                 client):
    response = plan_client.post(TICKETS, REQUEST)
    assert response.status_code == 201, response.content
    es = article(client, "/kb/politicas-de-asistencia-tecnica/")
    assert ("Es imprescindible que utilice el formulario de tickets de su Área de Cliente, la "
            "cuenta de correo dedicada asistencia@modo3.net o bien la API de tickets") in es
    en = article(client, "/en/kb/politicas-de-asistencia-tecnica/")
    assert "the ticket API of your Client Area" in en


def test_the_default_article_names_only_the_form_and_the_address(client, db):
    es = article(client, "/kb/politicas-de-asistencia-tecnica/")
    assert ("Es imprescindible que utilice el formulario de tickets de su Área de Cliente o "
            "bien la cuenta de correo dedicada asistencia@modo3.net.") in es
    assert "API" not in es.split('id="s3"', 1)[1].split('id="s4"', 1)[0]
    en = article(client, "/en/kb/politicas-de-asistencia-tecnica/")
    assert ("It is essential that you use the ticket form of your Client Area or else the "
            "dedicated e-mail account asistencia@modo3.net.") in en
