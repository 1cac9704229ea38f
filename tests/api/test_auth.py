"""Bearer-token authentication of the REST API."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.api.conftest import ApiCaller
from xuala.api.models import ApiToken
from xuala.api.services import api_token_create, api_token_revoke

TICKETS = "/api/v1/tickets"


def test_it_answers_401_with_a_json_error_when_no_token_is_sent(anonymous_api):
    response = anonymous_api.get(TICKETS)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "token_missing"
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc",
                                    "Bearer xd_00000000_not-a-real-secret"])
def test_it_answers_401_token_invalid_for_a_bad_or_unknown_token(client, plan_customer, header):
    response = ApiCaller(client, None).get(TICKETS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_it_answers_401_token_revoked_for_a_revoked_token(client, plan_customer):
    issued = api_token_create(user=factories.contact_user(plan_customer))
    api = ApiCaller(client, issued.secret)
    assert api.get(TICKETS).status_code == 200
    api_token_revoke(prefix=issued.token.prefix)
    response = api.get(TICKETS)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_it_refuses_the_token_of_a_deactivated_user(client, plan_customer):
    user = factories.contact_user(plan_customer)
    api = ApiCaller(client, api_token_create(user=user).secret)
    user.is_active = False
    user.save()
    response = api.get(TICKETS)
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_it_does_not_accept_a_signed_in_session_instead_of_a_token(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    response = client.get(TICKETS)
    assert response.status_code == 401
    assert response.json()["code"] == "token_missing"


def test_it_stores_only_the_digest_and_a_visible_prefix(plan_customer):
    issued = api_token_create(user=factories.contact_user(plan_customer), name="ERP")
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.key_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret.startswith(row.prefix + "_")
    assert len(issued.secret) > len(row.prefix) + 40
    stored = [str(value) for value in ApiToken.objects.values_list().get(pk=row.pk)]
    assert issued.secret not in stored
    assert row.name == "ERP"


def test_it_stamps_last_used_at_and_refreshes_it_only_after_a_minute(client, plan_customer):
    issued = api_token_create(user=factories.contact_user(plan_customer))
    api = ApiCaller(client, issued.secret)
    assert issued.token.last_used_at is None
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert api.get(TICKETS).status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api.get(TICKETS)
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == start
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        api.get(TICKETS)
    issued.token.refresh_from_db()
    assert issued.token.last_used_at == start + timedelta(minutes=2)


def test_it_answers_403_for_a_client_user_who_no_longer_speaks_for_a_customer(client,
                                                                             plan_customer):
    user = factories.contact_user(plan_customer)
    api = ApiCaller(client, api_token_create(user=user).secret)
    user.contact.delete()
    response = api.get(TICKETS)
    assert response.status_code == 403
    assert response.json()["code"] == "no_customer"


def test_it_gives_the_error_detail_in_the_language_the_client_asks_for(anonymous_api):
    spanish = anonymous_api.get(TICKETS).json()["detail"]
    english = anonymous_api.get(TICKETS, headers={"Accept-Language": "en"}).json()["detail"]
    assert english == "Send an API token in the header “Authorization: Bearer <token>”."
    assert spanish != english
