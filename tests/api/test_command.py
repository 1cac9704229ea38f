"""`xuala api token create|revoke|list`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from tests.api.conftest import ApiCaller
from xuala.accounts.models import Role, User
from xuala.api.models import ApiToken


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_creates_a_token_prints_it_once_and_the_token_works(client, plan_customer):
    out, err = run("token", "create", "--user", "ANA@cliente-demo.es", "--name", "ERP sync")
    secret = out.strip()
    token = ApiToken.objects.get()
    assert token.user.email == "ana@cliente-demo.es"
    assert token.name == "ERP sync"
    assert secret.startswith(token.prefix) and token.prefix in err
    assert ApiCaller(client, secret).get("/api/v1/tickets").status_code == 200
    listed, _ = run("token", "list")
    assert token.prefix in listed and secret not in listed


def test_it_revokes_a_token_by_its_prefix(client, plan_customer):
    secret = run("token", "create", "--user", "ana@cliente-demo.es")[0].strip()
    prefix = ApiToken.objects.get().prefix
    out, _ = run("token", "revoke", prefix)
    assert prefix in out
    assert ApiToken.objects.get().revoked_at is not None
    response = ApiCaller(client, secret).get("/api/v1/tickets")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_it_fails_clearly_for_an_unknown_user_or_prefix(db):
    with pytest.raises(CommandError, match="no user"):
        run("token", "create", "--user", "nobody@example.com")
    with pytest.raises(CommandError, match="no token"):
        run("token", "revoke", "xd_deadbeef")
    assert not ApiToken.objects.exists()


def test_it_refuses_a_token_for_a_user_who_is_neither_agent_nor_contact(db):
    User.objects.create_user("stray@example.com", factories.PASSWORD, role=Role.CLIENT)
    with pytest.raises(CommandError, match="neither an agent nor"):
        run("token", "create", "--user", "stray@example.com")
    assert not ApiToken.objects.exists()


def test_it_issues_tokens_to_agents(agent_user):
    run("token", "create", "--user", agent_user.email)
    assert ApiToken.objects.get().user == agent_user
