"""Fixtures for the REST API tests: tokens for a client of each customer and for an agent."""

from __future__ import annotations

import json

import pytest

from tests import factories
from xuala.api.services import api_token_create


class ApiCaller:
    """Calls the API with a bearer token through Django's test client; returns the response."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, extra: dict | None) -> dict:
        headers = dict(extra or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: dict | None = None, headers: dict | None = None):
        return self.client.post(path, json.dumps(body or {}), content_type="application/json",
                                headers=self._headers(headers))


def secret_for(user) -> str:
    return api_token_create(user=user, name="tests").secret


@pytest.fixture
def plan_client(client, plan_customer):
    """The plan customer's contact, calling with its own token."""
    return ApiCaller(client, secret_for(factories.contact_user(plan_customer)))


@pytest.fixture
def hosting_client(client, hosting_customer):
    return ApiCaller(client, secret_for(factories.contact_user(hosting_customer)))


@pytest.fixture
def lapsed_client(client, lapsed_customer):
    return ApiCaller(client, secret_for(factories.contact_user(lapsed_customer)))


@pytest.fixture
def agent_api(client, agent_user):
    return ApiCaller(client, secret_for(agent_user))


@pytest.fixture
def anonymous_api(client):
    return ApiCaller(client, None)


@pytest.fixture
def api_accepted(tmp_path, settings):
    """A policy that lists the API among the channels (§3); the default one does not."""
    from tests.policy.copies import policy_copy

    return policy_copy(tmp_path, settings, ('accepted = ["portal", "email"]',
                                            'accepted = ["portal", "email", "api"]'))
