"""Signing in and out of the client area: who may, the lockout, the language after sign-in."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from tests import factories
from tests.factories import PASSWORD
from xuala.accounts.models import Role, User

LOGIN = "/portal/login/"


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def test_it_shows_the_sign_in_form(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'id="login-form"' in response.content
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_it_signs_a_client_in_and_sends_them_to_the_dashboard(client, plan_customer):
    response = sign_in(client, "ana@cliente-demo.es")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert int(client.session[SESSION_KEY]) == factories.contact_user(plan_customer).pk
    assert client.get("/portal/").status_code == 200


def test_it_accepts_the_address_in_any_case(client, plan_customer):
    assert sign_in(client, "Ana@Cliente-Demo.ES").status_code == 302
    assert SESSION_KEY in client.session


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(client, plan_customer):
    response = sign_in(client, "ana@cliente-demo.es", "not the password")
    assert response.status_code == 200
    assert "no es correcta" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_refuses_an_unknown_address_the_same_way(client, plan_customer):
    response = sign_in(client, "nadie@cliente-demo.es")
    assert response.status_code == 200
    assert "no es correcta" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_locks_out_after_five_failures_even_with_the_right_password(client, plan_customer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ana@cliente-demo.es", "wrong").status_code == 200
    fifth = sign_in(client, "ana@cliente-demo.es", "wrong")
    assert fifth.status_code == 429
    response = sign_in(client, "ana@cliente-demo.es")
    assert response.status_code == 429
    assert "Demasiados intentos" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_lockout_is_per_account_and_address(client, plan_customer, hosting_customer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "ana@cliente-demo.es", "wrong")
    assert sign_in(client, "luis@sinplan-demo.es").status_code == 302


def test_a_success_clears_the_failure_count(client, plan_customer):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "ana@cliente-demo.es", "wrong")
    assert sign_in(client, "ana@cliente-demo.es").status_code == 302
    client.post("/portal/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ana@cliente-demo.es", "wrong").status_code == 200


def test_an_agent_is_sent_to_the_console_without_a_portal_session(client, agent_user):
    response = sign_in(client, "agente@modo3.net")
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert SESSION_KEY not in client.session


def test_a_signed_in_agent_visiting_the_portal_goes_to_the_console(client, agent_user):
    client.force_login(agent_user)
    response = client.get("/portal/")
    assert response.status_code == 302 and response["Location"] == "/console/"


def test_a_user_who_is_not_a_client_contact_is_refused(client, db):
    User.objects.create_user("suelto@example.com", PASSWORD, role=Role.CLIENT)
    response = sign_in(client, "suelto@example.com")
    assert response.status_code == 200
    assert "no tiene acceso al Área de Cliente" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_signed_in_user_without_a_customer_gets_403(client, db):
    user = User.objects.create_user("suelto@example.com", PASSWORD, role=Role.CLIENT)
    client.force_login(user)
    assert client.get("/portal/").status_code == 403


def test_an_inactive_contact_cannot_sign_in(client, plan_customer):
    User.objects.filter(email="ana@cliente-demo.es").update(is_active=False)
    assert sign_in(client, "ana@cliente-demo.es").status_code == 200
    assert SESSION_KEY not in client.session


def test_an_english_speaking_client_lands_on_the_english_dashboard(client, db):
    factories.customer(name="Acme Ltd", email="jo@acme.co.uk", language="en")
    response = sign_in(client, "jo@acme.co.uk")
    assert response["Location"] == "/en/portal/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/en/portal/")
    assert b"Your requests" in page.content


def test_a_spanish_client_signing_in_on_the_english_page_lands_in_spanish(client, plan_customer):
    response = client.post("/en" + LOGIN, {"username": "ana@cliente-demo.es",
                                           "password": PASSWORD})
    assert response["Location"] == "/portal/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_it_returns_to_the_page_asked_for_in_the_users_language(client, db):
    factories.customer(name="Acme Ltd", email="jo@acme.co.uk", language="en")
    response = sign_in(client, "jo@acme.co.uk", next="/portal/tickets/new/")
    assert response["Location"] == "/en/portal/tickets/new/"


def test_it_ignores_a_next_address_on_another_site(client, plan_customer):
    response = sign_in(client, "ana@cliente-demo.es", next="https://evil.example/")
    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("path", ["/portal/", "/portal/tickets/new/", "/portal/tickets/1/",
                                  "/portal/attachments/1/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/login/?next={path}"


def test_anonymous_visitors_of_english_pages_sign_in_in_english(client, db):
    response = client.get("/en/portal/")
    assert response["Location"] == "/en/portal/login/?next=/en/portal/"


def test_sign_out_needs_a_post_and_ends_the_session(ana):
    assert ana.get("/portal/logout/").status_code == 405
    assert SESSION_KEY in ana.session
    response = ana.post("/portal/logout/")
    assert response.status_code == 302 and response["Location"] == "/portal/login/"
    assert SESSION_KEY not in ana.session
    assert ana.get("/portal/").status_code == 302


def test_the_sign_in_form_is_protected_against_cross_site_posts(db, plan_customer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(LOGIN, {"username": "ana@cliente-demo.es", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_KEY not in strict.session
