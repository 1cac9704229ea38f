"""Every answer of the API, errors included, is JSON with a machine code and a detail."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import ApiCaller


def test_an_unknown_route_under_v1_is_a_json_404(plan_client):
    for path in ("/api/v1/", "/api/v1/nope", "/api/v1/tickets/1/nope"):
        response = plan_client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"code": "not_found", "detail": "No encontrado."}


def test_a_method_a_route_does_not_take_is_a_json_405(plan_client):
    response = plan_client.client.put("/api/v1/tickets",
                                      headers={"Authorization": f"Bearer {plan_client.token}"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


@pytest.mark.usefixtures("api_accepted")
def test_writes_need_no_csrf_token_because_they_need_a_bearer_token(plan_customer,
                                                                   plan_client):
    strict = ApiCaller(Client(enforce_csrf_checks=True), plan_client.token)
    response = strict.post("/api/v1/tickets", {"subject": "Hola", "body": "Prueba",
                                               "category": "hosting"})
    assert response.status_code == 201


def test_a_malformed_json_body_is_a_json_error(plan_client):
    response = plan_client.client.post(
        "/api/v1/tickets", "{not json", content_type="application/json",
        headers={"Authorization": f"Bearer {plan_client.token}"})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert response.json()["detail"]


def test_errors_answer_in_english_when_asked(plan_client):
    response = plan_client.get("/api/v1/tickets/424242", headers={"Accept-Language": "en"})
    assert response["Content-Language"] == "en"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_an_unexpected_failure_is_a_json_500_not_an_html_page(plan_client, monkeypatch):
    from xuala.api import selectors

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "tickets_visible", broken)
    plan_client.client.raise_request_exception = False
    response = plan_client.get("/api/v1/tickets")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "server_error"
