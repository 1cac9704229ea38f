"""Customers, services, sites and contracts through the REST API."""

from __future__ import annotations

from datetime import date

from xuala.customers.models import Billing, Contract, ContractStatus


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_a_client_lists_only_its_own_customer(plan_client, plan_customer, hosting_customer):
    assert ids(plan_client.get("/api/v1/customers")) == [plan_customer.pk]


def test_an_agent_lists_every_customer_by_name(agent_api, plan_customer, hosting_customer,
                                               lapsed_customer):
    assert ids(agent_api.get("/api/v1/customers")) == [lapsed_customer.pk, plan_customer.pk,
                                                       hosting_customer.pk]


def test_a_customer_shows_its_coverage_today(plan_client, plan_customer, agent_api,
                                             lapsed_customer):
    body = plan_client.get(f"/api/v1/customers/{plan_customer.pk}").json()
    assert body["name"] == "Cliente Demo SL"
    assert body["coverage"] == {"has_active_service": True, "plans": ["cobertura-mensual"],
                                "covered_site_ids": None}
    lapsed = agent_api.get(f"/api/v1/customers/{lapsed_customer.pk}").json()
    assert lapsed["coverage"] == {"has_active_service": False, "plans": [],
                                  "covered_site_ids": []}


def test_services_and_sites_are_scoped_to_the_clients_customer(plan_client, plan_customer,
                                                              hosting_customer):
    services = plan_client.get("/api/v1/services").json()
    assert {s["customer_id"] for s in services["items"]} == {plan_customer.pk}
    assert {s["kind"] for s in services["items"]} == {"web_hosting", "mail"}
    sites = plan_client.get("/api/v1/sites").json()
    assert [s["url"] for s in sites["items"]] == ["https://www.cliente-demo.es/"]
    assert sites["items"][0]["service_id"] == plan_customer.services.get(kind="web_hosting").pk


def test_an_agent_sees_every_customers_services_and_can_filter(agent_api, plan_customer,
                                                               hosting_customer):
    everything = agent_api.get("/api/v1/services").json()
    assert {s["customer_id"] for s in everything["items"]} == {plan_customer.pk,
                                                               hosting_customer.pk}
    only = agent_api.get("/api/v1/sites", {"customer_id": hosting_customer.pk}).json()
    assert [s["customer_id"] for s in only["items"]] == [hosting_customer.pk]


def test_contracts_carry_the_plan_and_its_services_from_the_policy(plan_client, plan_customer):
    site = plan_customer.sites.get()
    annual = Contract.objects.create(customer=plan_customer, plan_key="cobertura-anual",
                                     billing=Billing.ANNUAL, status=ContractStatus.PENDING,
                                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    annual.sites.add(site)
    body = plan_client.get("/api/v1/contracts").json()
    assert body["count"] == 2
    first, second = body["items"]
    assert first["id"] == annual.pk
    assert first["plan_key"] == "cobertura-anual" and first["billing"] == "annual"
    assert first["status"] == "pending"
    assert (first["starts_on"], first["ends_on"]) == ("2026-01-01", "2026-12-31")
    assert first["site_ids"] == [site.pk]
    assert first["plan"]["name"] == "Póliza de Cobertura Técnica Web Xuala Cloud — anual"
    services = {s["key"]: s for s in first["plan"]["services"]}
    assert set(services) == {"online_sentry", "priority_support", "wsa", "antispam",
                             "weekly_updates", "urgent_review"}
    assert services["wsa"]["clause"] == "6.3.3"
    assert second["plan_key"] == "cobertura-mensual" and second["site_ids"] == []


def test_plan_names_follow_the_requested_language(plan_client):
    body = plan_client.get("/api/v1/contracts", headers={"Accept-Language": "en"})
    assert body["Content-Language"] == "en"
    assert (body.json()["items"][0]["plan"]["name"]
            == "Xuala Cloud Web Technical Coverage Policy — monthly")


def test_a_contract_whose_plan_left_the_policy_still_lists_without_a_plan(agent_api,
                                                                          hosting_customer):
    Contract.objects.create(customer=hosting_customer, plan_key="retired-plan",
                            billing=Billing.MONTHLY)
    items = agent_api.get("/api/v1/contracts").json()["items"]
    assert [(c["plan_key"], c["plan"]) for c in items] == [("retired-plan", None)]

