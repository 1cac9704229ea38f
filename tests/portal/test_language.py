"""Spanish by default, English under /en/, and the language switch keeps you on the same page."""

import pytest
from django.conf import settings

from tests.portal.conftest import file_ticket


def test_the_sign_in_page_is_spanish_by_default(client, db):
    page = client.get("/portal/login/").content.decode()
    assert '<html lang="es">' in page
    assert "Área de Cliente" in page and "Iniciar sesión" in page and "Contraseña" in page


def test_the_sign_in_page_is_english_under_en(client, db):
    page = client.get("/en/portal/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Client Area" in page and "Sign in" in page and "Password" in page
    assert "Contraseña" not in page


def test_a_failed_sign_in_on_the_english_page_is_explained_in_english(client, plan_customer):
    response = client.post("/en/portal/login/", {"username": "ana@cliente-demo.es",
                                                 "password": "wrong"})
    assert "The e-mail address or the password is not correct." in response.content.decode()


def test_the_lockout_page_is_in_the_pages_language(client, plan_customer):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/en/portal/login/", {"username": "ana@cliente-demo.es",
                                                     "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def switch(client, language, next_url):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


@pytest.mark.parametrize(("start", "expected"), [
    ("/portal/", "/en/portal/"),
    ("/portal/tickets/new/", "/en/portal/tickets/new/"),
])
def test_switching_to_english_keeps_you_on_the_same_page(ana, start, expected):
    response = switch(ana, "en", start)
    assert response.status_code == 302 and response["Location"] == expected
    assert '<html lang="en">' in ana.get(expected).content.decode()


def test_switching_to_english_on_the_sign_in_page_keeps_the_next_address(client, db):
    response = switch(client, "en", "/portal/login/?next=/portal/tickets/new/")
    assert response["Location"] == "/en/portal/login/?next=/portal/tickets/new/"
    assert "Sign in" in client.get(response["Location"]).content.decode()


def test_switching_to_english_on_a_ticket_page_keeps_the_ticket(ana, plan_customer, open_hours):
    ticket = file_ticket(plan_customer)
    english = switch(ana, "en", f"/portal/tickets/{ticket.pk}/")["Location"]
    assert english == f"/en/portal/tickets/{ticket.pk}/"
    assert "Conversation" in ana.get(english).content.decode()


@pytest.mark.parametrize("start", ["/en/portal/", "/en/portal/tickets/new/"])
def test_switching_back_to_spanish_keeps_you_on_the_same_page(ana, start):
    response = switch(ana, "es", start)
    assert response["Location"] == start.removeprefix("/en")


def test_the_page_offers_the_switch_with_the_current_page_as_next(ana):
    page = ana.get("/en/portal/tickets/new/").content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert '<input name="next" type="hidden" value="/en/portal/tickets/new/">' in page
