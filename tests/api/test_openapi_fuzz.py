"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis, in process
over WSGI): no generated request, valid or not, as a client or an agent, gets a server error,
and every answer is JSON."""

from __future__ import annotations

from itertools import product

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from tests import factories
from xuala.api.services import api_token_create

# Bounded: twenty examples per operation, valid and invalid (fields of the wrong type, out of
# range, missing), keep the whole run well within a minute.
EXAMPLES = 20


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the test's transaction must survive each request's end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db):
    customer = factories.customer(name="Fuzz SL", email="fuzz@cliente-fuzz.es",
                                  plan="cobertura-mensual")
    return {
        "client": api_token_create(user=factories.contact_user(customer)).secret,
        "agent": api_token_create(user=factories.agent("fuzz-agent@modo3.net")).secret,
    }


def _operations(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10  # every route of /api/v1 (tickets, customers, services...)
    return operations


def test_no_generated_request_gets_a_server_error(api_schema, tokens):
    # One Hypothesis run per operation (schemathesis' pytest loader does not run on pytest 9).
    for operation, mode in product(_operations(api_schema), GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            for role in ("client", "agent"):
                response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
                assert response.status_code < 500, (role, case.method, case.formatted_path,
                                                    case.query, response.text[:300])
                headers = {k.lower(): v for k, v in response.headers.items()}
                content_type = headers.get("content-type") or ""
                if isinstance(content_type, list):
                    content_type = content_type[0]
                assert content_type.startswith("application/json"), (
                    role, case.method, case.formatted_path, response.status_code)

        run()
