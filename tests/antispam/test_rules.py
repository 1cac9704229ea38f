"""Each anti-spam rule: one item it fires on and a near miss it leaves alone."""

from __future__ import annotations

from tests.intake.dnsserver import ZoneServer, silent_server
from xuala.antispam import rules
from xuala.antispam.dnsbl import dnsbl_lookup
from xuala.antispam.filter import Item
from xuala.antispam.rules import SiteContext

SPANISH_SITE = SiteContext(languages=("es",))


def test_links_weigh_from_the_third_link_on():
    text = "mira https://a.example.com/1 y https://b.example.net/2 y https://c.example.org/3"
    reason = rules.rule_links(Item(content=text), SPANISH_SITE)
    assert reason.code == "links" and reason.weight > 0 and "3 links" in reason.detail


def test_two_plain_links_are_not_a_reason():
    text = "el vídeo: https://www.youtube.com/watch?v=abc y la ruta https://maps.google.com/?q=x"
    assert rules.rule_links(Item(content=text), SPANISH_SITE) is None


def test_one_link_in_anchor_markup_is_a_reason():
    reason = rules.rule_links(Item(content='<a href="https://x.example.com">buy</a>'), SPANISH_SITE)
    assert reason is not None and "markup" in reason.detail


def test_a_link_to_a_confirmed_spam_domain_is_a_reason():
    site = SiteContext(spam_domains={"pills-cheap.example"})
    item = Item(content="info en https://www.shop.pills-cheap.example/go/1")
    assert rules.rule_link_domains(item, site).code == "spam_domain"


def test_a_domain_that_only_looks_alike_is_not_a_reason():
    site = SiteContext(spam_domains={"pills-cheap.example"})
    item = Item(content="info en https://pills-cheap.example.org/")
    assert rules.rule_link_domains(item, site) is None


def test_a_filled_honeypot_field_is_a_reason():
    item = Item(content="hola", extra={"honeypot_field_name": "hp_website", "hp_website": "x"})
    assert rules.rule_honeypot(item, SPANISH_SITE).code == "honeypot"


def test_an_empty_honeypot_field_is_not_a_reason():
    item = Item(content="hola", extra={"honeypot_field_name": "hp_website", "hp_website": " "})
    assert rules.rule_honeypot(item, SPANISH_SITE) is None


def test_a_form_sent_in_under_three_seconds_is_a_reason():
    reason = rules.rule_too_fast(Item(extra={"form_seconds": "1.2"}), SPANISH_SITE)
    assert reason.code == "too_fast"


def test_a_form_sent_after_three_seconds_is_not_a_reason():
    assert rules.rule_too_fast(Item(extra={"form_seconds": "3.0"}), SPANISH_SITE) is None


def test_a_form_time_that_is_not_a_number_is_ignored():
    assert rules.rule_too_fast(Item(extra={"form_seconds": "pronto"}), SPANISH_SITE) is None


def test_a_disposable_mail_domain_from_the_maintained_list_is_a_reason():
    reason = rules.rule_disposable_email(Item(email="x1@mailinator.com"), SPANISH_SITE)
    assert reason.code == "disposable_email"


def test_an_ordinary_mail_provider_is_not_a_reason():
    assert rules.rule_disposable_email(Item(email="ana.gil@gmail.com"), SPANISH_SITE) is None


def test_cyrillic_text_on_a_spanish_site_is_a_reason():
    item = Item(content="Займ без отказа на карту онлайн https://zaim.example.ru")
    reason = rules.rule_script(item, SPANISH_SITE)
    assert reason.code == "script" and "cyrillic" in reason.detail


def test_a_spanish_text_quoting_one_russian_word_is_not_a_reason():
    item = Item(content="En Moscú vimos el cartel de Спасибо en la estación y nos hizo gracia")
    assert rules.rule_script(item, SPANISH_SITE) is None


def test_chinese_text_on_a_spanish_site_is_a_reason():
    assert rules.rule_script(Item(content="最新在线赌场注册送888元"), SPANISH_SITE).code == "script"


def test_a_text_in_another_language_than_the_sites_is_a_reason():
    item = Item(content="I really appreciate this post, I have been looking everywhere for this")
    reason = rules.rule_language(item, SPANISH_SITE)
    assert reason.code == "language" and "en" in reason.detail


def test_a_text_in_the_sites_language_is_not_a_reason():
    item = Item(content="Hola, queria saber si teneis mesa para seis el sabado por la noche")
    assert rules.rule_language(item, SPANISH_SITE) is None


def test_a_short_text_is_too_short_to_tell_its_language():
    assert rules.rule_language(Item(content="Thanks a lot!"), SPANISH_SITE) is None


def test_the_same_text_from_many_addresses_is_a_reason():
    seen = {rules.content_fingerprint("Great post, visit my site for more"): 5}
    site = SiteContext(ips_for_content=lambda fingerprint: seen.get(fingerprint, 0))
    item = Item(content="great  post, VISIT my site for more")
    reason = rules.rule_same_content(item, site)
    assert reason.code == "same_content" and "5 addresses" in reason.detail


def test_the_same_text_from_two_addresses_is_not_a_reason():
    site = SiteContext(ips_for_content=lambda fingerprint: 2)
    assert rules.rule_same_content(Item(content="Great post, visit my site"), site) is None


def test_an_address_that_sent_confirmed_spam_is_a_reason():
    site = SiteContext(spam_ips={"203.0.113.7"})
    assert rules.rule_spam_ip(Item(user_ip="203.0.113.7"), site).code == "spam_ip"


def test_a_neighbouring_address_is_not_a_reason():
    site = SiteContext(spam_ips={"203.0.113.7"})
    assert rules.rule_spam_ip(Item(user_ip="203.0.113.8"), site) is None


def test_the_block_list_name_reverses_the_address():
    assert rules.dnsbl_name("203.0.113.7", "bl.example.") == "7.113.0.203.bl.example"
    assert rules.dnsbl_name("2001:db8::1", "bl.example").startswith("1.0.0.0.0.0.0.0.")
    assert rules.dnsbl_name("not an ip", "bl.example") is None


def test_an_address_listed_in_a_dns_block_list_is_a_reason():
    zone = {"7.113.0.203.bl.example": {"A": ["127.0.0.2"]}}
    with ZoneServer(zone) as server:
        site = SiteContext(dnsbl_zones=("bl.example",),
                           dnsbl_lookup=dnsbl_lookup(nameservers=["127.0.0.1"], port=server.port))
        reason = rules.rule_dnsbl(Item(user_ip="203.0.113.7"), site)
    assert reason.code == "dnsbl" and "bl.example" in reason.detail


def test_an_address_not_listed_is_not_a_reason():
    zone = {"7.113.0.203.bl.example": {"A": ["127.0.0.2"]}}
    with ZoneServer(zone) as server:
        site = SiteContext(dnsbl_zones=("bl.example",),
                           dnsbl_lookup=dnsbl_lookup(nameservers=["127.0.0.1"], port=server.port))
        assert rules.rule_dnsbl(Item(user_ip="203.0.113.8"), site) is None
        assert ("8.113.0.203.bl.example", "A") in server.queries


def test_a_block_list_that_does_not_answer_lists_nobody():
    with silent_server() as port:
        site = SiteContext(dnsbl_zones=("bl.example",),
                           dnsbl_lookup=dnsbl_lookup(nameservers=["127.0.0.1"], port=port,
                                                     timeout=0.2))
        assert rules.rule_dnsbl(Item(user_ip="203.0.113.7"), site) is None
