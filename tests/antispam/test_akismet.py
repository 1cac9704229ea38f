"""Akismet's protocol at /akismet/1.1/, answer by answer."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest

from tests.antispam.conftest import PLAN_BLOG, Akismet
from tests.intake.dnsserver import ZoneServer
from xuala.antispam.models import AntispamEvent, AntispamKey, Block, Check, SiteLearning
from xuala.antispam.services import antispam_key_revoke

VISITOR = {"user_ip": "198.51.100.20", "user_agent": "Mozilla/5.0", "comment_type": "comment",
           "comment_author": "Pilar Gómez", "comment_author_email": "pilar.gomez@gmail.com",
           "comment_content": "El ayuntamiento corta la calle Mayor el sábado por las fiestas",
           "blog_lang": "es_ES"}
SPAMMER = {"user_ip": "203.0.113.9", "comment_type": "comment", "comment_author": "cheap viagra",
           "comment_author_email": "k3j4h@mailinator.com",
           "comment_author_url": "http://pills-online.example.xyz/",
           "comment_content": "Buy cheap viagra online <a href=\"http://pills-online.example.xyz/\">"
                              "viagra</a> no prescription, discreet shipping",
           "blog_lang": "es_ES"}
THANKS = b"Thanks for making the web a better place."


def test_verify_key_answers_valid_for_a_plan_sites_key(akismet):
    response = akismet.post("verify-key")
    assert (response.status_code, response.content) == (200, b"valid")


def test_verify_key_answers_invalid_with_help_for_an_unknown_key(client, db):
    response = Akismet(client, "xs-not-a-key").post("verify-key")
    assert response.content == b"invalid"
    assert "not known" in response["X-akismet-debug-help"]


def test_a_key_of_a_site_without_an_active_plan_is_invalid(client, no_plan_key):
    response = Akismet(client, no_plan_key).post("verify-key", blog="https://www.sinplan-demo.es/")
    assert response.content == b"invalid"
    assert "no active coverage plan" in response["X-akismet-debug-help"]


def test_a_revoked_key_is_invalid_at_once_even_after_use(akismet, plan_key):
    assert akismet.post("comment-check", **VISITOR).content == b"false"
    antispam_key_revoke(key=AntispamKey.objects.get())
    response = akismet.post("comment-check", **VISITOR)
    assert response.content == b"invalid" and "revoked" in response["X-akismet-debug-help"]


def test_a_key_used_for_another_blog_is_invalid(akismet):
    response = akismet.post("verify-key", blog="https://otro-sitio.example/")
    assert response.content == b"invalid" and "another site" in response["X-akismet-debug-help"]


def test_a_missing_key_is_invalid(client, db):
    response = client.post("/akismet/1.1/comment-check", {"blog": PLAN_BLOG, **VISITOR})
    assert response.content == b"invalid"
    assert "api_key" in response["X-akismet-debug-help"]


def test_comment_check_answers_false_for_a_visitor_and_stores_the_verdict(akismet):
    response = akismet.post("comment-check", **VISITOR)
    assert (response.status_code, response.content) == (200, b"false")
    assert "X-akismet-pro-tip" not in response
    check = Check.objects.get(guid=response["X-akismet-guid"])
    assert not check.spam and check.user_ip == "198.51.100.20" and check.author == "Pilar Gómez"
    assert check.reasons[0]["code"] == "model"


def test_comment_check_answers_true_for_spam_with_its_reasons(akismet):
    response = akismet.post("comment-check", **SPAMMER)
    assert response.content == b"true"
    codes = {reason["code"] for reason in Check.objects.get().reasons}
    assert {"model", "disposable_email", "links", "language"} <= codes


def test_certain_spam_carries_the_discard_tip(akismet):
    response = akismet.post("comment-check", **SPAMMER, honeypot_field_name="hp_url",
                            hp_url="http://x.example")
    assert response.content == b"true"
    assert response["X-akismet-pro-tip"] == "discard"


def test_comment_check_without_user_ip_names_the_missing_field(akismet):
    response = akismet.post("comment-check", **{**VISITOR, "user_ip": ""})
    assert response.status_code == 400
    assert response.content == b"Missing required field: user_ip."
    assert "user_ip" in response["X-akismet-debug-help"]
    assert not Check.objects.exists()


def test_comment_check_without_blog_names_the_missing_field(akismet):
    response = akismet.post("comment-check", **VISITOR, blog="")
    assert response.status_code == 400 and b"blog" in response.content


def test_a_huge_body_gets_413_not_a_crash(akismet, settings):
    settings.XUALA_ANTISPAM_MAX_BODY_BYTES = 10_000
    response = akismet.post("comment-check", **{**VISITOR, "comment_content": "a" * 20_000})
    assert response.status_code == 413
    assert "10000 bytes" in response["X-akismet-debug-help"]
    assert not Check.objects.exists()


def test_a_body_in_the_declared_latin1_charset_is_read_as_such(client, plan_key):
    body = (f"api_key={plan_key}&blog={PLAN_BLOG}&user_ip=198.51.100.20&blog_charset=ISO-8859-1"
            "&comment_author=" + quote_from_bytes("Begoña".encode("latin-1"))
            + "&comment_content=" + quote_from_bytes("Qué rico el bizcocho".encode("latin-1")))
    response = client.post("/akismet/1.1/comment-check", body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Check.objects.get().author == "Begoña"


@pytest.mark.parametrize("charset", ["UTF-8", "no-such-charset", "base64", ""])
def test_bytes_that_do_not_fit_the_charset_still_get_a_verdict(client, plan_key, charset):
    body = (f"api_key={plan_key}&blog={PLAN_BLOG}&user_ip=198.51.100.20&blog_charset={charset}"
            "&comment_content=caf%E9%FF%FE con leche")
    response = client.post("/akismet/1.1/comment-check", body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.content in (b"true", b"false")
    assert "con leche" in Check.objects.get().content


def test_a_get_is_answered_405(client, db):
    response = client.get("/akismet/1.1/comment-check")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_submit_spam_thanks_and_turns_the_next_verdict_for_that_site(akismet):
    assert akismet.post("comment-check", **VISITOR).content == b"false"
    response = akismet.post("submit-spam", **VISITOR)
    assert response.content == THANKS
    assert akismet.post("comment-check", **VISITOR).content == b"true"
    first = Check.objects.order_by("at", "id").first()
    assert first.corrected_to == "spam"
    assert SiteLearning.objects.get().reports == 1
    assert AntispamEvent.objects.filter(key="antispam.reported_spam").count() == 1


def test_submit_ham_thanks_and_lets_the_next_one_through(akismet):
    assert akismet.post("comment-check", **SPAMMER).content == b"true"
    assert akismet.post("submit-ham", **SPAMMER).content == THANKS
    assert akismet.post("comment-check", **SPAMMER).content == b"false"


def test_a_spam_report_blocks_the_senders_address_and_link_domains_for_the_site(akismet):
    akismet.post("submit-spam", **SPAMMER)
    assert set(Block.objects.values_list("kind", "value")) == {
        ("ip", "203.0.113.9"), ("domain", "example.xyz")}
    later = akismet.post("comment-check", **{**VISITOR, "user_ip": "203.0.113.9"})
    codes = {r["code"] for r in Check.objects.get(guid=later["X-akismet-guid"]).reasons}
    assert "spam_ip" in codes


def test_a_test_submission_teaches_nothing(akismet):
    assert akismet.post("submit-spam", **VISITOR, is_test="1").content == THANKS
    assert not SiteLearning.objects.exists()
    assert akismet.post("comment-check", **VISITOR).content == b"false"


def test_a_key_past_its_rate_gets_429(akismet, settings):
    settings.XUALA_ANTISPAM_RATE_PER_MINUTE = 2
    assert akismet.post("comment-check", **VISITOR).status_code == 200
    assert akismet.post("comment-check", **VISITOR).status_code == 200
    response = akismet.post("comment-check", **VISITOR)
    assert response.status_code == 429 and response["X-akismet-debug-help"]
    assert Check.objects.count() == 2


def test_a_configured_dns_block_list_is_asked_through_the_configured_resolver(akismet, settings):
    zone = {"20.100.51.198.bl.example": {"A": ["127.0.0.2"]}}
    with ZoneServer(zone) as server:
        settings.XUALA_ANTISPAM_DNSBL_ZONES = ["bl.example"]
        settings.XUALA_ANTISPAM_DNS_SERVER = f"127.0.0.1:{server.port}"
        response = akismet.post("comment-check", **VISITOR)
    reasons = Check.objects.get(guid=response["X-akismet-guid"]).reasons
    assert {"code": "dnsbl", "weight": 3.0,
            "detail": "198.51.100.20 is listed in bl.example"} in reasons


def test_too_many_fields_get_a_clear_400(client, plan_key):
    body = f"api_key={plan_key}&blog={PLAN_BLOG}&user_ip=1.2.3.4&" + "&".join(
        f"f{n}=x" for n in range(1500))
    response = client.post("/akismet/1.1/comment-check", body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and b"Too many fields" in response.content


def test_an_empty_post_is_an_invalid_key_not_a_crash(client, db):
    response = client.post("/akismet/1.1/comment-check", b"",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.content == b"invalid"


@pytest.mark.parametrize(("sent", "kind"), [("contact-form", "contact"), ("signup", "registration"),
                                            ("", "comment"), ("forum-post", "comment")])
def test_akismets_comment_types_fold_into_the_kinds_the_filter_knows(akismet, sent, kind):
    response = akismet.post("comment-check", **{**VISITOR, "comment_type": sent})
    assert Check.objects.get(guid=response["X-akismet-guid"]).comment_type == kind
