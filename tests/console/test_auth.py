"""Console sign-in: password and TOTP code, enrolment, roles, unverified sessions, lockout."""

from __future__ import annotations

from base64 import b32decode, b32encode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.console.conftest import code, confirmed_device, open_ticket, verify_session
from tests.factories import PASSWORD, contact_user
from xuala.desk.models import Attachment
from xuala.desk.services import Upload, ticket_note

LOGIN = "/console/login/"
OTP = "/console/2fa/"
SETUP = "/console/2fa/setup/"
QUEUE = "/console/"


def password_step(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def test_it_signs_an_agent_in_only_after_password_and_a_valid_totp_code(client, agent_user):
    device = confirmed_device(agent_user)
    response = password_step(client, agent_user.email)
    assert response.status_code == 302 and response["Location"] == OTP
    # The password alone opens nothing.
    assert client.get(QUEUE)["Location"].startswith(LOGIN)
    page = client.get(OTP)
    assert page.status_code == 200 and 'id="otp-form"' in page.text

    response = client.post(OTP, {"token": code(device)})
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert client.get(QUEUE).status_code == 200


def test_it_refuses_a_wrong_totp_code_and_keeps_the_agent_signed_out(client, agent_user):
    device = confirmed_device(agent_user)
    password_step(client, agent_user.email)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    response = client.post(OTP, {"token": wrong})
    assert response.status_code == 200
    assert "no es válido" in response.text
    assert client.get(QUEUE).status_code == 302


def test_it_refuses_a_wrong_password_without_reaching_the_code_step(client, agent_user):
    confirmed_device(agent_user)
    response = password_step(client, agent_user.email, "not the password")
    assert response.status_code == 200 and 'id="login-form"' in response.text
    assert client.get(OTP)["Location"].startswith(LOGIN)


def test_it_returns_to_the_page_asked_for_after_both_steps(client, agent_user, hosting_customer):
    device = confirmed_device(agent_user)
    ticket = open_ticket(hosting_customer)
    wanted = f"/console/tickets/{ticket.pk}/"
    first = client.get(wanted)
    assert first.status_code == 302 and first["Location"] == f"{LOGIN}?next={wanted}"
    response = password_step(client, agent_user.email, next=wanted)
    assert response["Location"] == f"{OTP}?next={wanted.replace('/', '%2F')}"
    response = client.post(response["Location"], {"token": code(device), "next": wanted})
    assert response["Location"] == wanted


def test_it_ignores_a_next_address_on_another_site(client, agent_user):
    device = confirmed_device(agent_user)
    password_step(client, agent_user.email)
    response = client.post(OTP, {"token": code(device), "next": "https://evil.example/"})
    assert response["Location"] == QUEUE


def test_it_enrols_an_agent_without_a_device_and_signs_in_with_the_first_code(client,
                                                                              agent_user):
    response = password_step(client, agent_user.email)
    assert response["Location"] == SETUP
    # The code step sends an agent without a confirmed device to enrolment.
    assert client.get(OTP)["Location"] == SETUP

    page = client.get(SETUP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=agent_user)
    assert device.confirmed is False
    assert "<svg" in page.text and "<path" in page.text
    secret = b32encode(device.bin_key).decode()
    assert secret in page.text
    # A second visit shows the same pending device, not a new one.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=agent_user).count() == 1

    token = f"{totp(b32decode(secret)):06d}"  # what an app fed the shown secret computes
    response = client.post(SETUP, {"token": token})
    assert response.status_code == 302 and response["Location"] == QUEUE
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(QUEUE).status_code == 200


def test_it_does_not_confirm_enrolment_with_a_wrong_code(client, agent_user):
    password_step(client, agent_user.email)
    client.get(SETUP)
    right = code(TOTPDevice.objects.get(user=agent_user))
    response = client.post(SETUP, {"token": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert response.status_code == 200 and 'id="otp-setup-form"' in response.text
    assert not TOTPDevice.objects.get(user=agent_user).confirmed
    assert client.get(QUEUE).status_code == 302


def test_it_does_not_offer_enrolment_to_an_agent_who_already_has_a_device(client, agent_user):
    confirmed_device(agent_user)
    password_step(client, agent_user.email)
    assert client.get(SETUP)["Location"] == OTP
    assert TOTPDevice.objects.filter(user=agent_user).count() == 1


def test_it_sends_a_visitor_to_the_password_step_from_the_code_steps(client):
    assert client.get(OTP)["Location"] == LOGIN
    assert client.get(SETUP)["Location"] == LOGIN


def test_it_redirects_a_signed_in_but_unverified_agent_to_the_code_step(client, agent_user):
    device = confirmed_device(agent_user)
    client.force_login(agent_user)  # e.g. signed in through another door, without a code
    for url in (QUEUE, "/console/breaching/", "/console/canned/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(OTP)
    response = client.post(OTP, {"token": code(device)})
    assert response["Location"] == QUEUE
    assert client.get(QUEUE).status_code == 200


def test_it_answers_403_to_a_client_contact_on_every_console_url(client, hosting_customer,
                                                                 agent_user):
    ticket = open_ticket(hosting_customer)
    note = ticket_note(ticket=ticket, author=agent_user, body_text="interno",
                       uploads=[Upload("log.txt", b"secret log", "text/plain")])
    attachment = Attachment.objects.get(message=note)
    contact = contact_user(hosting_customer)
    verify_session(client, contact)  # even a verified session is not enough without the role
    gets = [QUEUE, "/console/breaching/", f"/console/tickets/{ticket.pk}/",
            f"/console/attachments/{attachment.pk}/", "/console/canned/",
            "/console/canned/new/", "/en/console/"]
    for url in gets:
        assert client.get(url).status_code == 403, url
    posts = [f"/console/tickets/{ticket.pk}/{action}/" for action in
             ("reply", "note", "assign", "status", "triage/apply", "triage/dismiss")]
    for url in posts:
        assert client.post(url, {"body": "x", "status": "resolved"}).status_code == 403, url
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 2


def test_it_answers_403_when_a_client_signs_in_at_the_console(client, hosting_customer):
    contact = contact_user(hosting_customer)
    response = password_step(client, contact.email)
    assert response.status_code == 403
    assert client.get(OTP).status_code == 302


def test_it_locks_out_after_five_bad_passwords_even_for_the_right_one(client, agent_user):
    confirmed_device(agent_user)
    statuses = [password_step(client, agent_user.email, f"wrong {n}").status_code
                for n in range(5)]
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429
    response = password_step(client, agent_user.email)
    assert response.status_code == 429
    assert client.get(OTP)["Location"] == LOGIN


def test_it_signs_out_on_post(client, agent_user):
    verify_session(client, agent_user)
    assert client.get(QUEUE).status_code == 200
    assert client.get("/console/logout/").status_code == 405
    response = client.post("/console/logout/")
    assert response["Location"] == LOGIN
    assert client.get(QUEUE).status_code == 302


@pytest.mark.parametrize(("prefix", "heading"), [("", "Acceso de agentes"),
                                                 ("/en", "Agent sign-in")])
def test_it_shows_the_sign_in_page_in_the_language_of_the_address(client, prefix, heading):
    response = client.get(f"{prefix}/console/login/")
    assert response.status_code == 200
    assert heading in response.text
    assert 'name="username"' in response.text and 'id="login-form"' in response.text


def test_it_tells_htmx_to_reload_to_sign_in_when_the_session_is_gone(client):
    response = client.get(QUEUE, {"q": "x"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="queue-results")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(LOGIN)


def test_setting_up_the_second_step_writes_an_event_when_the_device_is_made_and_confirmed(
        client, agent_user):
    from xuala.desk.models import DeskEvent

    password_step(client, agent_user.email)
    client.get(SETUP)
    client.get(SETUP)  # the same pending device: no second event
    device = TOTPDevice.objects.get(user=agent_user)
    assert list(DeskEvent.objects.values_list("key", "actor", "data")) == [
        ("otp.device_created", agent_user.pk, {"device": device.pk})]
    client.post(SETUP, {"token": code(device)})
    assert DeskEvent.objects.filter(key="otp.device_confirmed", actor=agent_user,
                                    data__device=device.pk).exists()


def test_a_wrong_code_at_set_up_writes_no_confirmation_event(client, agent_user):
    from xuala.desk.models import DeskEvent

    password_step(client, agent_user.email)
    client.get(SETUP)
    right = code(TOTPDevice.objects.get(user=agent_user))
    client.post(SETUP, {"token": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert list(DeskEvent.objects.values_list("key", flat=True)) == ["otp.device_created"]
