"""The sign-in lockout counts one address however it is spelt (case, surrounding spaces), in
the client area, the console and the admin; the admin's refused `next` lands on its index."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from tests import factories
from tests.factories import PASSWORD

SPELLINGS = ["{}", "{upper}", " {} ", "\t{upper} "]


def variants(email: str) -> list[str]:
    upper = email.split("@")[0].capitalize() + "@" + email.split("@")[1].upper()
    return [s.format(email, upper=upper) for s in SPELLINGS]


def fail_with_every_spelling(client, url, email):
    statuses = []
    spellings = variants(email)
    for n in range(settings.AXES_FAILURE_LIMIT):
        statuses.append(client.post(url, {"username": spellings[n % len(spellings)],
                                          "password": f"wrong {n}"}).status_code)
    return statuses


DOORS = [
    ("portal", "/portal/login/", lambda: factories.contact_user(
        factories.customer(name="Dominio SL", email="x@dominio.es"))),
    ("console", "/console/login/", lambda: factories.agent("x@dominio.es")),
    ("admin", "/admin/login/", lambda: factories.agent("x@dominio.es", admin=True)),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("door", "url", "make_user"), DOORS, ids=[d[0] for d in DOORS])
def test_failures_under_different_spellings_add_up_to_one_lockout(client, door, url, make_user):
    user = make_user()
    statuses = fail_with_every_spelling(client, url, user.email)
    assert statuses[-1] == 429, (door, statuses)
    assert all(s != 302 for s in statuses)


@pytest.mark.django_db
@pytest.mark.parametrize(("door", "url", "make_user"), DOORS, ids=[d[0] for d in DOORS])
@pytest.mark.parametrize("spelling", [1, 2, 3])
def test_the_right_password_under_another_spelling_does_not_pass_a_lockout(
        client, door, url, make_user, spelling):
    user = make_user()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": user.email, "password": f"wrong {n}"})
    response = client.post(url, {"username": variants(user.email)[spelling],
                                 "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", [1, 2, 3])
def test_a_client_signs_in_with_any_spelling_of_the_address(client, spelling):
    contact = factories.contact_user(factories.customer(name="Dominio SL", email="x@dominio.es"))
    response = client.post("/portal/login/", {"username": variants(contact.email)[spelling],
                                              "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == contact.pk


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", [1, 2, 3])
def test_an_agent_passes_the_password_step_with_any_spelling(client, spelling):
    agent = factories.agent("x@dominio.es")
    response = client.post("/console/login/", {"username": variants(agent.email)[spelling],
                                                "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/console/2fa/")


@pytest.mark.django_db
def test_the_admin_ignores_a_foreign_next_and_lands_on_its_index(client):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin_user = factories.agent("root@modo3.net", admin=True)
    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    response = client.post("/admin/login/?next=https://evil.example/", {
        "username": " Root@Modo3.NET ", "password": PASSWORD,
        "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}",
        "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
