"""POST /api/v1/antispam/check: the verdict, the score and the reasons as JSON."""

from __future__ import annotations

from xuala.antispam.models import Check

SPAM = {"content": "Best online casino bonus 2026! Get 500 free spins now: "
                   "http://slots-bonus.example.top/?ref=9 http://slots-bonus.example.top/b "
                   "http://bet.example.top/",
        "author": "online casino", "email": "x9k2@mailinator.com", "user_ip": "203.0.113.5"}


def test_a_client_gets_the_verdict_with_score_and_reasons(plan_client, plan_customer):
    site = plan_customer.sites.get()
    response = plan_client.post("/api/v1/antispam/check", {"site_id": site.pk, **SPAM})
    assert response.status_code == 200
    body = response.json()
    assert body["spam"] is True and 0.5 < body["score"] <= 1
    assert {"model", "links", "disposable_email"} <= {r["code"] for r in body["reasons"]}
    assert Check.objects.get(pk=body["check_id"]).site == site


def test_the_honeypot_and_the_form_time_arrive_as_fields(agent_api, plan_customer):
    site = plan_customer.sites.get()
    response = agent_api.post("/api/v1/antispam/check", {
        "site_id": site.pk, "content": "Hola, quería pedir cita para el martes",
        "honeypot_field_name": "hp", "fields": {"hp": "lleno"}, "form_seconds": 0.8})
    body = response.json()
    assert body["spam"] and body["certain"]
    assert {"honeypot", "too_fast"} <= {r["code"] for r in body["reasons"]}


def test_a_site_without_a_plan_is_refused(hosting_client, hosting_customer):
    site = hosting_customer.sites.get()
    response = hosting_client.post("/api/v1/antispam/check", {"site_id": site.pk, **SPAM})
    assert response.status_code == 403 and response.json()["code"] == "site_without_plan"
    assert not Check.objects.exists()


def test_a_missing_site_id_is_a_validation_error(plan_client):
    response = plan_client.post("/api/v1/antispam/check", {"content": "hola"})
    assert response.status_code == 422


def test_the_refusal_speaks_the_callers_language(hosting_client, hosting_customer):
    site = hosting_customer.sites.get()
    response = hosting_client.post("/api/v1/antispam/check", {"site_id": site.pk, **SPAM},
                                   headers={"Accept-Language": "es"})
    assert "planes de cobertura" in response.json()["detail"]
