"""In real Chromium: the strict Content-Security-Policy breaks nothing. The client area, the
console (htmx), the language menu and the API's Swagger page run without a single CSP
violation or script error."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from xuala.desk.models import Channel
from xuala.desk.services import ticket_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watched(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text)
            if (msg.type == "error" and not msg.text.startswith("Failed to load resource"))
            or "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    # A missing resource is named by its address (the browser asks for /favicon.ico itself).
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return problems


def test_client_and_agent_pages_run_under_the_policy_without_violations(new_page):
    customer = factories.customer(name="Cliente Demo SL", email="ana@cliente-demo.es",
                                  plan="cobertura-mensual")
    agent = factories.agent()
    device = TOTPDevice.objects.create(user=agent, name="phone", confirmed=True)
    ticket = ticket_open(customer=customer, contact=factories.contact_user(customer),
                         channel=Channel.PORTAL, subject="Duda sobre el FTP",
                         body_text="¿Cuál es el puerto?", category="hosting").ticket

    client = new_page()
    client_problems = watched(client)
    client.goto("/portal/login/")
    client.fill("#login-form [name=username]", "ana@cliente-demo.es")
    client.fill("#login-form [name=password]", factories.PASSWORD)
    client.click("#login-form [type=submit]")
    client.wait_for_url("**/portal/")
    client.goto("/portal/tickets/new/")
    client.fill("#new-ticket-form [name=subject]", "correo")  # htmx suggestions run
    client.wait_for_timeout(800)
    client.goto(f"/portal/tickets/{ticket.pk}/")
    client.select_option("#lang-select", "en")  # the menu's script submits the form
    client.wait_for_url("**/en/portal/**")
    client.goto("/api/docs")
    client.wait_for_selector("#swagger-ui .opblock")
    assert client_problems == []

    agent_page = new_page()
    agent_problems = watched(agent_page)
    agent_page.goto("/console/login/")
    agent_page.fill("#login-form [name=username]", "agente@modo3.net")
    agent_page.fill("#login-form [name=password]", factories.PASSWORD)
    agent_page.click("#login-form [type=submit]")
    agent_page.fill("[name=token]", f"{totp(device.bin_key):06d}")
    agent_page.click("[type=submit]")
    agent_page.wait_for_url("**/console/")
    agent_page.fill("[name=q]", "FTP")  # the queue filters through htmx
    agent_page.wait_for_timeout(800)
    agent_page.goto(f"/console/tickets/{ticket.pk}/")
    agent_page.goto("/console/sentry/")
    assert agent_problems == []
