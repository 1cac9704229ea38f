"""Hardening through the public pages: a strict Content-Security-Policy, no caching of private
answers, HSTS and the proxy's TLS header from the environment, the attachment quota and long
file names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests import factories
from tests.console.conftest import open_ticket, verify_session
from xuala.api.services import api_token_create
from xuala.desk.models import Attachment, Ticket
from xuala.desk.services import Upload, ticket_note

STRICT_PARTS = ["default-src 'self'", "script-src 'self'", "style-src 'self'",
                "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]


def csp(response) -> list[str]:
    return [part.strip() for part in response["Content-Security-Policy"].split(";")]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/portal/login/", "/console/login/", "/en/console/login/",
                                 "/kb/", "/healthz", "/api/v1/tickets", "/no-such-page/"])
def test_every_answer_carries_a_strict_content_security_policy(client, url):
    parts = csp(client.get(url))
    for part in STRICT_PARTS:
        assert part in parts
    assert not any("unsafe" in p for p in parts)


@pytest.mark.django_db
def test_the_admin_and_api_docs_allow_inline_styles_but_never_inline_script(client):
    for url in ("/admin/login/", "/api/docs"):
        parts = csp(client.get(url))
        assert "script-src 'self'" in parts and "style-src 'self' 'unsafe-inline'" in parts


@pytest.mark.django_db
def test_signed_in_pages_need_no_inline_script_or_handler(client, plan_customer, agent_user):
    import re

    client.force_login(factories.contact_user(plan_customer))
    pages = [client.get(u).content.decode() for u in ("/portal/", "/portal/tickets/new/")]
    verify_session(client, agent_user)
    ticket = open_ticket(plan_customer)
    pages += [client.get(u).content.decode()
              for u in ("/console/", f"/console/tickets/{ticket.pk}/")]
    for page in pages:
        inline = [tag for tag in re.findall(r"<script\b[^>]*>", page)
                  if "src=" not in tag and 'type="application/json"' not in tag]
        assert not inline
        assert not re.search(r"\son[a-z]+\s*=", page)
        assert not re.search(r"\sstyle\s*=", page)


@pytest.mark.django_db
def test_console_pages_attachments_and_pdfs_and_the_api_are_never_cached(
        client, plan_customer, agent_user):
    from xuala.quotes.models import LineKind
    from xuala.quotes.services import quote_draft, quote_line_add

    ticket = open_ticket(plan_customer)
    note = ticket_note(ticket=ticket, author=agent_user, body_text="registro",
                       uploads=[Upload("log.txt", b"log", "text/plain")])
    quote = quote_draft(ticket=ticket, created_by=agent_user)
    quote_line_add(quote=quote, actor=agent_user, description="Trabajo", quantity=Decimal("1"),
                   unit_price=Decimal("10"), kind=LineKind.WORK)
    verify_session(client, agent_user)
    attachment = Attachment.objects.get(message=note)
    answers = [client.get(u) for u in (
        "/console/", f"/console/tickets/{ticket.pk}/", f"/console/attachments/{attachment.pk}/",
        f"/console/quotes/{quote.number}/pdf/", "/console/sentry/")]
    token = api_token_create(user=agent_user).secret
    answers += [client.get(u, headers={"Authorization": f"Bearer {token}"})
                for u in ("/api/v1/tickets", f"/api/v1/tickets/{ticket.pk}", "/api/v1/nothing")]
    for response in answers:
        assert response.status_code in (200, 404), response.request["PATH_INFO"]
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
        assert "private" in response["Cache-Control"]


def _headers_under(env: dict, *, forwarded: str | None) -> dict:
    """The security headers of /healthz in a fresh process configured by ``env``."""
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "headers = {} if FORWARDED is None else {'X-Forwarded-Proto': FORWARDED}\n"
        "r = Client().get('/healthz', headers=headers)\n"
        "print(json.dumps({k: v for k, v in r.items()}))\n"
    ).replace("FORWARDED", repr(forwarded))
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings", **env}
    out = subprocess.run([sys.executable, "-c", script], env=full, capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.real_clock  # settings are read in a child process
@pytest.mark.parametrize(("env", "forwarded", "hsts"), [
    ({"XUALA_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, "https", True),
    ({"XUALA_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}, None, False),
    ({}, "https", False),  # the header counts only when the operator says a proxy sets it
    ({"XUALA_PROXY_SSL_HEADER": "X-Forwarded-Proto: https", "XUALA_SECURE_COOKIES": "0"},
     "https", False),
])
def test_hsts_is_sent_behind_tls_when_cookies_are_secure(tmp_path, env, forwarded, hsts):
    headers = _headers_under({"XUALA_DATA_DIR": str(tmp_path), **env}, forwarded=forwarded)
    assert ("Strict-Transport-Security" in headers) is hsts
    if hsts:
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.real_clock
def test_a_malformed_proxy_header_setting_stops_the_program_naming_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "xuala.settings",
             "XUALA_DATA_DIR": str(tmp_path), "XUALA_PROXY_SSL_HEADER": "https"},
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0 and "XUALA_PROXY_SSL_HEADER" in result.stderr


def _new_request(client, customer, *files):
    site = customer.sites.first()
    return client.post("/portal/tickets/new/", {
        "about": f"site:{site.pk}", "category": "hosting", "subject": "Adjunto registros",
        "description": "Van los registros.", "attachments": list(files)})


@pytest.mark.django_db
def test_a_client_over_the_storage_quota_is_told_and_nothing_is_stored(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    with override_settings(XUALA_ATTACHMENT_QUOTA_BYTES=1024 * 1024):
        first = _new_request(client, plan_customer,
                             SimpleUploadedFile("a.log", b"x" * 700_000, "text/plain"))
        assert first.status_code == 302
        second = _new_request(client, plan_customer,
                              SimpleUploadedFile("b.log", b"x" * 400_000, "text/plain"))
    assert second.status_code == 200
    assert "cuota de almacenamiento de 1 MB" in second.content.decode()
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1


@pytest.mark.django_db
def test_the_quota_counts_per_customer(client, plan_customer, hosting_customer):
    client.force_login(factories.contact_user(plan_customer))
    with override_settings(XUALA_ATTACHMENT_QUOTA_BYTES=1024 * 1024):
        _new_request(client, plan_customer,
                     SimpleUploadedFile("a.log", b"x" * 700_000, "text/plain"))
        client.force_login(factories.contact_user(hosting_customer))
        other = _new_request(client, hosting_customer,
                             SimpleUploadedFile("b.log", b"x" * 700_000, "text/plain"))
    assert other.status_code == 302


@pytest.mark.django_db
def test_an_agent_reply_over_the_customer_quota_says_so(client, plan_customer, agent_user):
    ticket = open_ticket(plan_customer)
    verify_session(client, agent_user)
    with override_settings(XUALA_ATTACHMENT_QUOTA_BYTES=1024 * 1024):
        response = client.post(f"/console/tickets/{ticket.pk}/reply/", {
            "body": "Adjunto", "attachments": [
                SimpleUploadedFile("big.bin", b"x" * 1_100_000, "application/octet-stream")]},
            follow=True)
    assert "cuota de almacenamiento" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_a_long_file_name_keeps_its_extension(client, plan_customer):
    client.force_login(factories.contact_user(plan_customer))
    name = "informe-" + "muy-largo-" * 40 + ".pdf"
    assert _new_request(client, plan_customer,
                        SimpleUploadedFile(name, b"%PDF-1.4", "application/pdf")).status_code == 302
    stored = Attachment.objects.get()
    assert stored.filename.endswith(".pdf") and len(stored.filename) <= 150
    assert stored.filename.startswith("informe-muy-largo-")
    assert stored.file.name.endswith(".pdf")
