"""Sender authentication: DKIM, SPF, DMARC against a real DNS server, and trusted MTAs."""

from __future__ import annotations

import base64
import shutil
import subprocess
import time

import dkim
import pytest

from tests.intake.dnsserver import ZoneServer, closed_port, resolver_for, silent_server
from xuala.intake.auth import aligned, organisational_domain, verify_sender
from xuala.intake.parse import parse_message

CLIENT_IP = "192.0.2.10"
OTHER_IP = "198.51.100.7"
SIGNED_HEADERS = [b"from", b"to", b"subject", b"message-id", b"date"]


@pytest.fixture(scope="module")
def rsa_key() -> tuple[bytes, str]:
    """A fresh RSA key pair: (PEM private key, base64 public key for the p= tag)."""
    assert shutil.which("openssl"), "openssl is needed to make the DKIM test keys"
    private = subprocess.run(["openssl", "genrsa", "-traditional", "2048"],
                             capture_output=True, check=True).stdout
    public = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=private,
                            capture_output=True, check=True).stdout
    return private, base64.b64encode(public).decode()


@pytest.fixture(autouse=True)
def enforce(settings):
    settings.XUALA_MAIL_AUTH = "enforce"
    settings.XUALA_TRUSTED_AUTHSERV_IDS = []
    settings.XUALA_DNS_SERVERS = []


@pytest.fixture
def dns_server(rsa_key):
    """cliente-demo.es signs with selector s1, sends from 192.0.2.10, publishes p=reject."""
    _, public = rsa_key
    zone = {
        "s1._domainkey.cliente-demo.es": {"TXT": [f"v=DKIM1; k=rsa; p={public}"]},
        "s1._domainkey.mail.cliente-demo.es": {"TXT": [f"v=DKIM1; k=rsa; p={public}"]},
        "s1._domainkey.otro-dominio.es": {"TXT": [f"v=DKIM1; k=rsa; p={public}"]},
        "cliente-demo.es": {"TXT": [f"v=spf1 ip4:{CLIENT_IP} -all", "google-site-verif=x"],
                            "A": [CLIENT_IP]},
        "mail.cliente-demo.es": {"TXT": [f"v=spf1 ip4:{CLIENT_IP} -all"]},
        "_dmarc.cliente-demo.es": {"TXT": ["v=DMARC1; p=reject; rua=mailto:d@cliente-demo.es"]},
        "sinplan-demo.es": {"TXT": ["v=spf1 a:mx.sinplan-demo.es -all"]},
        "mx.sinplan-demo.es": {"A": [CLIENT_IP]},
        "s1._domainkey.sinplan-demo.es": {"TXT": [f"v=DKIM1; k=rsa; p={public}"]},
        "otro-dominio.es": {"TXT": [f"v=spf1 ip4:{OTHER_IP} -all"]},
    }
    with ZoneServer(zone) as server:
        yield server


def message(sender: str = "Ana <ana@cliente-demo.es>", *, body: str = "La web no carga.",
            headers: str = "") -> bytes:
    text = (
        f"{headers}"
        f"From: {sender}\r\n"
        "To: asistencia@modo3.net\r\n"
        "Subject: La web no carga\r\n"
        "Message-ID: <a1@cliente-demo.es>\r\n"
        "Date: Tue, 25 Nov 2025 10:00:00 +0100\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    )
    return text.encode()


def sign(raw: bytes, key: bytes, domain: str, selector: str = "s1") -> bytes:
    signature = dkim.sign(raw, selector.encode(), domain.encode(), key,
                          include_headers=SIGNED_HEADERS)
    return signature + raw


def verify(raw: bytes, server: ZoneServer | None = None, *, client_ip: str | None = None,
           mail_from: str | None = None, helo: str | None = "mail.cliente-demo.es",
           resolver=None):
    parsed = parse_message(raw, max_attachment_bytes=10 * 1024 * 1024)
    if resolver is None and server is not None:
        resolver = server.resolver()
    return verify_sender(raw, parsed, client_ip=client_ip, helo=helo, mail_from=mail_from,
                         resolver=resolver)


# --- DKIM ---------------------------------------------------------------------------------------


def test_it_authenticates_a_dkim_signature_aligned_with_the_from_domain(dns_server, rsa_key):
    verdict = verify(sign(message(), rsa_key[0], "cliente-demo.es"), dns_server)
    assert verdict.authenticated
    assert verdict.method == "dmarc"
    assert verdict.details["dkim"] == "pass"
    assert verdict.details["dmarc"] == "pass"


def test_it_does_not_authenticate_a_signed_message_whose_body_was_changed(dns_server, rsa_key):
    raw = sign(message(), rsa_key[0], "cliente-demo.es").replace(b"no carga", b"va bien")
    verdict = verify(raw, dns_server)
    assert not verdict.authenticated
    assert verdict.details["dkim"] == "fail"
    assert verdict.details["dmarc"] == "fail"


def test_it_does_not_authenticate_a_signature_by_an_unrelated_domain(dns_server, rsa_key):
    verdict = verify(sign(message(), rsa_key[0], "otro-dominio.es"), dns_server)
    assert not verdict.authenticated
    assert verdict.details["dkim"] == "pass"
    assert verdict.details["dkim_domain"] == "otro-dominio.es"
    assert verdict.details["dmarc"] == "fail"


def test_it_accepts_a_subdomain_signature_under_relaxed_alignment(dns_server, rsa_key):
    verdict = verify(sign(message(), rsa_key[0], "mail.cliente-demo.es"), dns_server)
    assert verdict.authenticated
    assert verdict.details["dkim_domain"] == "mail.cliente-demo.es"


def test_it_refuses_a_subdomain_signature_when_dmarc_asks_for_strict_alignment(
        dns_server, rsa_key):
    dns_server.zone["_dmarc.cliente-demo.es"] = {"TXT": ["v=DMARC1; p=reject; adkim=s"]}
    verdict = verify(sign(message(), rsa_key[0], "mail.cliente-demo.es"), dns_server)
    assert not verdict.authenticated
    assert verdict.details["dmarc"] == "fail"


def test_it_finds_the_dmarc_record_of_the_organisational_domain_for_a_subdomain_sender(
        dns_server, rsa_key):
    dns_server.zone["_dmarc.cliente-demo.es"] = {"TXT": ["v=DMARC1; p=none; sp=reject"]}
    raw = message("Ana <ana@mail.cliente-demo.es>")
    verdict = verify(raw, dns_server, client_ip=OTHER_IP, mail_from="ana@mail.cliente-demo.es")
    assert not verdict.authenticated
    assert verdict.method == "dmarc"
    assert verdict.details["dmarc_policy"] == "reject"
    assert ("_dmarc.mail.cliente-demo.es", "TXT") in dns_server.queries
    assert ("_dmarc.cliente-demo.es", "TXT") in dns_server.queries


# --- SPF ----------------------------------------------------------------------------------------


def test_it_authenticates_an_spf_pass_from_the_listed_address(dns_server):
    verdict = verify(message(), dns_server, client_ip=CLIENT_IP, mail_from="ana@cliente-demo.es")
    assert verdict.authenticated
    assert verdict.details["spf"] == "pass"
    assert verdict.details["dkim"] == "none"


def test_it_follows_spf_mechanisms_that_need_more_lookups(dns_server, rsa_key):
    raw = message("Luis <luis@sinplan-demo.es>")
    verdict = verify(raw, dns_server, client_ip=CLIENT_IP, mail_from="luis@sinplan-demo.es")
    assert verdict.authenticated
    assert verdict.method == "spf"
    assert ("mx.sinplan-demo.es", "A") in dns_server.queries


def test_it_refuses_an_spf_fail_without_dkim_when_the_domain_says_reject(dns_server):
    verdict = verify(message(), dns_server, client_ip=OTHER_IP, mail_from="ana@cliente-demo.es")
    assert not verdict.authenticated
    assert verdict.method == "dmarc"
    assert verdict.details["spf"] == "fail"
    assert verdict.details["dmarc_policy"] == "reject"
    assert verdict.details["reason"] == "dmarc fail"


def test_it_refuses_an_spf_pass_for_an_envelope_domain_unrelated_to_the_from(dns_server):
    verdict = verify(message(), dns_server, client_ip=OTHER_IP, mail_from="x@otro-dominio.es")
    assert verdict.details["spf"] == "pass"
    assert not verdict.authenticated


def test_it_cannot_check_spf_without_the_client_address(dns_server):
    verdict = verify(message(), dns_server, client_ip=None, mail_from="ana@cliente-demo.es")
    assert verdict.details["spf"] == "none"
    assert not verdict.authenticated


# --- Without a DMARC record --------------------------------------------------------------------


def test_it_accepts_an_aligned_dkim_pass_when_the_domain_has_no_dmarc_record(dns_server, rsa_key):
    raw = sign(message("Luis <luis@sinplan-demo.es>"), rsa_key[0], "sinplan-demo.es")
    verdict = verify(raw, dns_server)
    assert verdict.authenticated
    assert verdict.method == "dkim"
    assert verdict.details["dmarc"] == "none"


def test_it_does_not_authenticate_an_unchecked_sender_without_a_dmarc_record(dns_server):
    verdict = verify(message("Luis <luis@sinplan-demo.es>"), dns_server, client_ip=OTHER_IP,
                     mail_from="luis@sinplan-demo.es")
    assert not verdict.authenticated
    assert verdict.details["spf"] == "fail"
    assert verdict.method == "none"


# --- Trusted Authentication-Results ------------------------------------------------------------


def test_it_takes_the_word_of_a_trusted_mta_without_asking_the_dns(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers=(
        "Authentication-Results: mx.modo3.net;\r\n"
        "\tdkim=pass header.d=cliente-demo.es header.s=s1;\r\n"
        "\tdmarc=pass (p=reject) header.from=cliente-demo.es\r\n"
    ))
    verdict = verify(raw, dns_server)
    assert verdict.authenticated
    assert verdict.method == "trusted-ar"
    assert dns_server.queries == []


def test_it_ignores_authentication_results_from_an_untrusted_authserv_id(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers="Authentication-Results: mx.cliente-demo.es; dmarc=pass "
                          "header.from=cliente-demo.es\r\n")
    verdict = verify(raw, dns_server, client_ip=OTHER_IP, mail_from="ana@cliente-demo.es")
    assert not verdict.authenticated
    assert verdict.method == "dmarc"  # our own check decided


def test_it_ignores_any_authentication_results_when_no_mta_is_trusted(dns_server):
    raw = message(headers="Authentication-Results: mx.modo3.net; dmarc=pass "
                          "header.from=cliente-demo.es\r\n")
    verdict = verify(raw, dns_server)
    assert not verdict.authenticated


def test_it_ignores_a_trusted_id_forged_below_a_foreign_header(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers=(
        "Authentication-Results: relay.example.net; spf=none smtp.mailfrom=cliente-demo.es\r\n"
        "Authentication-Results: mx.modo3.net; dmarc=pass header.from=cliente-demo.es\r\n"
    ))
    verdict = verify(raw, dns_server)
    assert not verdict.authenticated
    assert verdict.method != "trusted-ar"


def test_it_lets_the_topmost_trusted_header_win_over_a_forged_copy_below(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers=(
        "Authentication-Results: mx.modo3.net; dkim=none; spf=fail "
        "smtp.mailfrom=ana@cliente-demo.es; dmarc=fail header.from=cliente-demo.es\r\n"
        "Received: from attacker.example by relay.example.net; Tue, 25 Nov 2025 10:00:00 +0100\r\n"
        "Authentication-Results: mx.modo3.net; dkim=pass header.d=cliente-demo.es; "
        "dmarc=pass header.from=cliente-demo.es\r\n"
    ))
    verdict = verify(raw, dns_server)
    assert not verdict.authenticated
    assert verdict.method == "trusted-ar"
    assert verdict.details["dmarc"] == "fail"


def test_it_reads_results_split_over_several_headers_of_the_trusted_mta(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers=(
        "Authentication-Results: mx.modo3.net; spf=softfail smtp.mailfrom=ana@cliente-demo.es\r\n"
        "Authentication-Results: mx.modo3.net; dkim=pass header.d=mail.cliente-demo.es\r\n"
    ))
    verdict = verify(raw, dns_server)
    assert verdict.authenticated
    assert verdict.method == "trusted-ar"


def test_it_refuses_a_trusted_dkim_pass_for_an_unrelated_domain(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers=(
        "Authentication-Results: mx.modo3.net; dkim=pass header.d=otro-dominio.es; "
        "spf=pass smtp.mailfrom=bounces@otro-dominio.es\r\n"
    ))
    verdict = verify(raw, dns_server)
    assert not verdict.authenticated
    assert verdict.method == "trusted-ar"


def test_it_survives_malformed_authentication_results(dns_server, settings):
    settings.XUALA_TRUSTED_AUTHSERV_IDS = ["mx.modo3.net"]
    raw = message(headers="Authentication-Results: ;;; dkim= (((\r\n"
                          "Authentication-Results: mx.modo3.net; dmarc=pass\r\n")
    verdict = verify(raw, dns_server)
    assert not verdict.authenticated


# --- DNS trouble and settings ------------------------------------------------------------------


def test_it_answers_temperror_without_raising_when_the_dns_server_is_down(rsa_key):
    raw = sign(message(), rsa_key[0], "cliente-demo.es")
    verdict = verify(raw, resolver=resolver_for(closed_port()), client_ip=CLIENT_IP,
                     mail_from="ana@cliente-demo.es")
    assert not verdict.authenticated
    assert verdict.details["reason"] == "temperror"


def test_it_gives_up_on_a_silent_dns_server_within_its_time_budget(rsa_key):
    raw = sign(message(), rsa_key[0], "cliente-demo.es")
    with silent_server() as port:
        started = time.monotonic()
        verdict = verify(raw, resolver=resolver_for(port), client_ip=CLIENT_IP,
                         mail_from="ana@cliente-demo.es")
        took = time.monotonic() - started
    assert not verdict.authenticated
    assert verdict.details["reason"] == "temperror"
    assert verdict.details["dkim"] == "temperror"
    assert took < 9


def test_it_uses_the_dns_servers_from_the_settings(dns_server, rsa_key, settings):
    settings.XUALA_DNS_SERVERS = [dns_server.address]
    verdict = verify(sign(message(), rsa_key[0], "cliente-demo.es"))
    assert verdict.authenticated
    assert ("s1._domainkey.cliente-demo.es", "TXT") in dns_server.queries


def test_it_accepts_everything_when_checks_are_off(settings):
    settings.XUALA_MAIL_AUTH = "off"
    verdict = verify(message(), resolver=resolver_for(closed_port()))
    assert verdict.authenticated
    assert verdict.details == {"reason": "checks disabled"}


def test_it_does_not_authenticate_a_message_without_a_from_address(dns_server):
    raw = message().replace(b"From: Ana <ana@cliente-demo.es>\r\n", b"")
    verdict = verify(raw, dns_server, client_ip=CLIENT_IP, mail_from="ana@cliente-demo.es")
    assert not verdict.authenticated
    assert dns_server.queries == []


# --- Alignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "organisational"), [
    ("cliente-demo.es", "cliente-demo.es"),
    ("mail.cliente-demo.es", "cliente-demo.es"),
    ("a.b.cliente-demo.es", "cliente-demo.es"),
    ("tienda.com.es", "tienda.com.es"),
    ("mail.tienda.com.es", "tienda.com.es"),
    ("shop.co.uk", "shop.co.uk"),
    ("MAIL.Example.COM.", "example.com"),
    ("mail.victim.org.mx", "victim.org.mx"),
    ("a.b.tienda.gob.ar", "tienda.gob.ar"),
    ("city.kawasaki.jp", "city.kawasaki.jp"),
    ("alice.github.io", "alice.github.io"),
    ("org.mx", "org.mx"),
])
def test_it_takes_the_organisational_domain_from_the_public_suffix_list(domain, organisational):
    assert organisational_domain(domain) == organisational


def test_it_aligns_relaxed_by_organisation_and_strict_by_equal_names():
    assert aligned("mail.cliente-demo.es", "cliente-demo.es")
    assert not aligned("mail.cliente-demo.es", "cliente-demo.es", strict=True)
    assert aligned("cliente-demo.es", "CLIENTE-DEMO.ES", strict=True)
    assert not aligned("una.com.es", "otra.com.es")
    assert not aligned("", "cliente-demo.es")


@pytest.mark.parametrize(("attacker", "victim"), [
    ("attacker.org.mx", "victim.org.mx"),
    ("attacker.gob.ar", "victim.gob.ar"),
    ("attacker.edu.pe", "victim.edu.pe"),
    ("attacker.or.jp", "victim.or.jp"),
    ("attacker.nhs.uk", "victim.nhs.uk"),
    ("attacker.github.io", "victim.github.io"),
    ("attacker.s3.amazonaws.com", "victim.s3.amazonaws.com"),
])
def test_it_never_aligns_two_registrants_under_a_multi_label_public_suffix(attacker, victim):
    assert not aligned(attacker, victim)
    assert not aligned(f"mail.{attacker}", victim)
    assert aligned(f"mail.{victim}", victim)


@pytest.mark.parametrize(("extra_headers", "client_ip", "mail_from"), [
    ("DKIM-Signature: v=1; a=rsa-sha256; d=cliente-demo.es; s=s1; h=from; bh=!!; b=??\r\n",
     OTHER_IP, "ana@cliente-demo.es"),
    ("DKIM-Signature: garbage without tags\r\n", None, None),
    ("DKIM-Signature: v=1; a=rsa-sha256; d=a..b; s=x y; h=from; bh=AA==; b=AA==\r\n",
     None, None),
    ("", "not-an-ip", "ana@cliente-demo.es"),
    ("", CLIENT_IP, "ana@" + "x" * 300 + ".es"),
    ("", OTHER_IP, "<>"),
])
def test_it_never_raises_on_hostile_input(dns_server, extra_headers, client_ip, mail_from):
    verdict = verify(message(headers=extra_headers), dns_server, client_ip=client_ip,
                     mail_from=mail_from)
    assert not verdict.authenticated
    assert verdict.details["reason"] in {"dmarc fail", "temperror"}


def test_it_checks_the_helo_name_when_the_envelope_sender_is_empty(dns_server):
    """A bounce (MAIL FROM:<>) is judged on the HELO identity, as DMARC says."""
    verdict = verify(message(), dns_server, client_ip=CLIENT_IP, mail_from="<>",
                     helo="mail.cliente-demo.es")
    assert verdict.authenticated
    assert verdict.details["spf_domain"] == "mail.cliente-demo.es"
