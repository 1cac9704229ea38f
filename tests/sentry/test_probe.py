"""The check probe against real HTTP and HTTPS sites on loopback: each failure classified."""

import asyncio
import datetime as dt
import json
import socket
import time

import pytest

from tests.sentry.farm import KEYWORD, LATIN1_KEYWORD, PAGE
from xuala.sentry.probe import (
    ERROR_CLASSES,
    InvalidURL,
    PhaseTimeouts,
    check,
    parse_target,
)

# Small limits so failing phases end quickly; the farm answers in a few milliseconds.
FAST = PhaseTimeouts(dns=1, connect=1, tls=1, ttfb=0.5, total=2)
PHASES = ("dns", "connect", "tls", "ttfb", "total")


def probe(farm, name, *, https=False, path="/", **options):
    options.setdefault("timeouts", FAST)
    options.setdefault("resolve", farm.resolve)
    options.setdefault("ssl_context", farm.client_context())
    return asyncio.run(check(farm.url(name, https=https, path=path), **options))


def assert_plausible(result):
    """Marks reached are present, in order, and within the total."""
    marks = [result.timings[p] for p in PHASES if result.timings[p] is not None]
    assert marks == sorted(marks), result.timings
    assert result.timings["total"] is not None
    assert result.error_class in (None, *ERROR_CLASSES)
    json.dumps(result.as_json())  # JSON-serialisable as it is


# OpenSSL checks the farm's certificates against the real clock, so HTTPS is not run with
# the wall clock moved ahead (--clock-ahead).
both_schemes = pytest.mark.parametrize(
    "https", [False, pytest.param(True, marks=pytest.mark.real_clock)], ids=["http", "https"])


# Sites that pass ---------------------------------------------------------------------------------

def test_it_passes_a_healthy_http_site_and_times_each_phase_reached(site_farm):
    result = probe(site_farm, "ok", keyword=KEYWORD)
    assert result.ok and result.error_class is None and result.error == ""
    assert result.status == 200 and result.keyword_found is True
    t = result.timings
    assert t["tls"] is None  # no TLS over plain HTTP
    assert 0 <= t["dns"] <= t["connect"] <= t["ttfb"] <= t["total"] < 1000
    assert result.size == len(PAGE)
    assert result.body_head.startswith("<!doctype html>") and len(result.body_head) <= 1024
    assert result.headers["Server"] == "XualaFarm/1.0"
    assert result.final_url == result.url and result.redirects == []
    assert result.certificate is None
    started = dt.datetime.fromisoformat(result.started_at)
    assert abs((dt.datetime.now(dt.UTC) - started).total_seconds()) < 5
    assert_plausible(result)


@pytest.mark.real_clock
def test_it_passes_a_healthy_https_site_and_reports_its_certificate(site_farm):
    result = probe(site_farm, "ok", https=True, keyword=KEYWORD)
    assert result.ok, result.error
    t = result.timings
    assert t["dns"] <= t["connect"] <= t["tls"] <= t["ttfb"] <= t["total"]
    cert = result.certificate
    assert cert["issuer"] == "CN=Xuala Sentry Test CA,O=Xuala Sentry Tests"
    assert cert["subject"] == "CN=*.farm.test,O=Xuala Sentry Tests"
    assert cert["san"][:2] == ["*.farm.test", "farm.test"]
    assert cert["verified"] is True and cert["days_left"] in (88, 89)
    assert dt.datetime.fromisoformat(cert["not_after"]) > dt.datetime.now(dt.UTC)


@both_schemes
@pytest.mark.parametrize("name", ["okchunked", "okclose", "early", "trickle"])
def test_it_reads_every_way_of_framing_a_body(site_farm, name, https):
    """Chunked (keyword split across chunks), close-delimited, after 103, and byte by byte."""
    result = probe(site_farm, name, https=https, keyword=KEYWORD)
    assert result.ok, result.error
    assert result.size == len(PAGE) and result.keyword_found
    assert_plausible(result)


def test_it_finds_a_keyword_in_the_page_charset(site_farm):
    result = probe(site_farm, "latin1", keyword=LATIN1_KEYWORD)
    assert result.ok and result.keyword_found
    assert LATIN1_KEYWORD in result.body_head


def test_it_resolves_real_names_through_the_system_resolver(site_farm):
    url = f"http://localhost:{site_farm.http_port}/"
    result = asyncio.run(check(url, keyword=KEYWORD, timeouts=FAST))
    assert result.ok, result.error
    assert result.timings["dns"] is not None
    assert_plausible(result)


def test_it_asks_a_given_resolver_and_classifies_its_no_as_dns(site_farm):
    asked = []

    async def resolver(host, port):
        asked.append((host, port))
        if host == "nadie.example":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return ["127.0.0.1"]

    found = asyncio.run(check(f"http://tienda.example:{site_farm.http_port}/", keyword=KEYWORD,
                              resolver=resolver, timeouts=FAST))
    assert found.ok, found.error
    missing = asyncio.run(check("http://nadie.example/", resolver=resolver, timeouts=FAST))
    assert missing.error_class == "dns"
    assert missing.error == "nadie.example does not resolve: Name or service not known"
    assert asked == [("tienda.example", site_farm.http_port), ("nadie.example", 80)]


@pytest.mark.real_clock
def test_it_sends_the_given_host_header_and_tls_name_to_an_address(site_farm):
    plain = asyncio.run(check(f"http://127.0.0.1:{site_farm.http_port}/",
                              host_header="error500.farm.test", timeouts=FAST))
    assert plain.status == 500
    secure = asyncio.run(check(f"https://127.0.0.1:{site_farm.https_port}/",
                               host_header="ok.farm.test", keyword=KEYWORD, timeouts=FAST,
                               ssl_context=site_farm.client_context()))
    assert secure.ok, secure.error
    assert secure.certificate["host"] == "ok.farm.test"


# Sites that fail ---------------------------------------------------------------------------------

@both_schemes
def test_it_classifies_a_500_as_http_status_with_the_evidence(site_farm, https):
    result = probe(site_farm, "error500", https=https, keyword=KEYWORD)
    assert not result.ok
    assert result.error_class == "http_status" and result.status == 500
    assert result.error == "HTTP 500 Internal Server Error"
    assert "PHP Fatal error" in result.body_head
    assert result.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_plausible(result)


def test_it_accepts_a_status_the_monitor_expects(site_farm):
    result = probe(site_farm, "status", path="/?code=503", accepted_status=range(503, 504))
    assert result.ok and result.status == 503


@both_schemes
def test_it_classifies_a_missing_keyword(site_farm, https):
    result = probe(site_farm, "nokeyword", https=https, keyword=KEYWORD)
    assert result.error_class == "keyword" and result.keyword_found is False
    assert result.status == 200 and KEYWORD in result.error


def test_it_fails_when_an_absent_keyword_appears_and_passes_when_it_does_not(site_farm):
    present = probe(site_farm, "ok", keyword=KEYWORD, keyword_absent=True)
    assert present.error_class == "keyword" and present.keyword_found is True
    gone = probe(site_farm, "nokeyword", keyword=KEYWORD, keyword_absent=True)
    assert gone.ok and gone.keyword_found is False


@both_schemes
def test_it_classifies_a_slow_site_as_too_slow_only_past_max_ms(site_farm, https):
    slow = probe(site_farm, "slow", https=https, path="/?ms=250", max_ms=150, keyword=KEYWORD)
    assert slow.error_class == "too_slow" and slow.status == 200 and slow.keyword_found
    assert slow.timings["ttfb"] >= 250 and slow.timings["total"] > 150
    assert "more than 150 ms" in slow.error
    patient = probe(site_farm, "slow", https=https, path="/?ms=250", max_ms=2000)
    assert patient.ok
    assert_plausible(slow)


@both_schemes
def test_it_gives_up_on_a_hanging_site_after_the_ttfb_timeout(site_farm, https):
    started = time.monotonic()
    result = probe(site_farm, "hang", https=https)
    elapsed = time.monotonic() - started
    assert result.error_class == "timeout" and result.status is None
    assert result.error == "timeout: no response within 0.5 s"
    assert result.timings["connect"] is not None and result.timings["ttfb"] is None
    # Without the ttfb timeout the check would wait forever; the bound is only a hang guard.
    assert result.timings["total"] >= 450 and elapsed < 10
    assert_plausible(result)


def test_it_does_not_let_a_hanging_site_delay_the_others(site_farm):
    patient = PhaseTimeouts(dns=1, connect=1, tls=1, ttfb=1.5, total=2)

    async def many():
        urls = [site_farm.url("hang")] + [site_farm.url(f"s{i}") for i in range(20)]
        return await asyncio.gather(*(check(u, resolve=site_farm.resolve, timeouts=patient)
                                      for u in urls))

    hung, *others = asyncio.run(many())
    assert hung.error_class == "timeout" and hung.timings["total"] >= 1500
    assert all(r.ok for r in others)
    assert max(r.timings["total"] for r in others) < hung.timings["total"]


@both_schemes
def test_it_caps_an_endless_body_and_still_judges_the_page(site_farm, https):
    started = time.monotonic()
    result = probe(site_farm, "endless", https=https, keyword=KEYWORD, body_cap=64 * 1024)
    assert result.ok and result.keyword_found and result.status == 200
    assert result.size == 64 * 1024
    assert time.monotonic() - started < 10  # an uncapped read would never end


def test_it_caps_a_large_body_at_the_default_256_kib(site_farm):
    result = probe(site_farm, "big", keyword=KEYWORD)
    assert result.ok and result.size == 256 * 1024


def test_it_searches_the_keyword_only_within_the_cap(site_farm):
    """The farm's endless page repeats the keyword every 16 KiB; a tiny cap sees none of it."""
    result = probe(site_farm, "endless", keyword=KEYWORD, body_cap=8)
    assert result.error_class == "keyword" and result.size == 8
    assert "first 8 bytes" in result.error


@both_schemes
def test_it_stops_a_dripping_body_at_the_total_timeout(site_farm, https):
    timeouts = PhaseTimeouts(dns=1, connect=1, tls=1, ttfb=0.5, total=0.8)
    result = probe(site_farm, "drip", https=https, keyword=KEYWORD, timeouts=timeouts)
    assert result.error_class == "timeout" and result.status == 200
    assert result.error.startswith("timeout: total time limit of 0.8 s reached")
    assert 0 < result.size < 256 * 1024
    assert 750 <= result.timings["total"] < 1300


@both_schemes
def test_it_follows_a_chain_of_three_redirects_and_records_them(site_farm, https):
    result = probe(site_farm, "chain", https=https, keyword=KEYWORD)
    assert result.ok, result.error
    assert [r["status"] for r in result.redirects] == [301, 302, 307]
    assert result.redirects[0]["url"] == result.url
    assert result.redirects[-1]["location"] == site_farm.url("ok", https=https)
    assert result.final_url == site_farm.url("ok", https=https)
    ats = [r["at"] for r in result.redirects]
    assert ats == sorted(ats) and ats[-1] <= result.timings["dns"] <= result.timings["total"]
    assert_plausible(result)


@both_schemes
def test_it_classifies_a_redirect_loop(site_farm, https):
    result = probe(site_farm, "loop", https=https)
    assert result.error_class == "redirects" and "loop" in result.error
    assert [r["location"].rsplit("/", 1)[1] for r in result.redirects] == ["a", "b", "a"]


def test_it_classifies_too_many_redirects(site_farm):
    result = probe(site_farm, "chain", path="/?hops=7", max_redirects=5)
    assert result.error_class == "redirects" and result.error == "more than 5 redirects"
    assert len(result.redirects) == 6


def test_it_classifies_a_port_with_nothing_listening_as_refused(site_farm):
    result = asyncio.run(check(f"http://ok.farm.test:{site_farm.refused_port}/",
                               resolve=site_farm.resolve, timeouts=FAST))
    assert result.error_class == "refused" and "Connection refused" in result.error
    assert result.timings["dns"] is not None and result.timings["connect"] is None
    assert_plausible(result)


@both_schemes
def test_it_classifies_a_reset_before_any_answer_as_refused(site_farm, https):
    result = probe(site_farm, "reset", https=https)
    assert result.error_class == "refused" and result.status is None


def test_it_classifies_a_name_that_does_not_resolve_as_dns():
    result = asyncio.run(check("https://tienda-que-no-existe.invalid/", timeouts=FAST))
    assert result.error_class == "dns" and "does not resolve" in result.error
    assert result.timings["dns"] is None and result.timings["total"] is not None


@both_schemes
def test_it_classifies_a_body_cut_short_as_http_status(site_farm, https):
    result = probe(site_farm, "truncated", https=https, keyword=KEYWORD)
    assert result.error_class == "http_status" and result.status == 200
    assert result.error.startswith("connection closed after 1000 of 5000 body bytes")
    assert result.size == 1000


def test_it_classifies_an_answer_that_is_not_http(site_farm):
    result = probe(site_farm, "garbage")
    assert result.error_class == "http_status" and "not an HTTP response" in result.error


# Certificates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, days", [("expired", (-3, -2)), ("notyet", (99, 100))])
def test_it_classifies_a_certificate_out_of_its_dates_and_shows_it(site_farm, name, days):
    result = probe(site_farm, name, https=True)
    assert result.error_class == "certificate"
    assert result.status is None and result.timings["tls"] is None
    assert result.timings["connect"] is not None
    cert = result.certificate
    assert cert["verified"] is False and cert["days_left"] in days
    assert cert["issuer"] == "CN=Xuala Sentry Test CA,O=Xuala Sentry Tests"
    assert cert["subject"] == f"CN={name}.farm.test,O=Xuala Sentry Tests"


@pytest.mark.real_clock
def test_it_warns_of_a_certificate_with_fewer_days_left_than_the_minimum(site_farm):
    result = probe(site_farm, "expiring", https=True, keyword=KEYWORD)
    assert result.error_class == "certificate" and result.status == 200
    assert result.certificate["days_left"] == 3 and result.certificate["verified"]
    assert "expires in 3 days" in result.error and "fewer than 7" in result.error
    relaxed = probe(site_farm, "expiring", https=True, min_cert_days=2)
    assert relaxed.ok


@pytest.mark.real_clock
def test_it_reports_a_down_site_before_its_expiring_certificate(site_farm):
    site_farm.overrides["expiring.farm.test"] = "error500"
    result = probe(site_farm, "expiring", https=True)
    assert result.error_class == "http_status"


def test_it_classifies_a_certificate_for_another_name_as_tls(site_farm):
    result = probe(site_farm, "wrongname", https=True)
    assert result.error_class == "tls" and "Hostname mismatch" in result.error
    assert result.certificate["san"] == ["www.otra-empresa.test"]


def test_it_classifies_a_self_signed_certificate_as_tls(site_farm):
    result = probe(site_farm, "selfsigned", https=True)
    assert result.error_class == "tls" and "self-signed" in result.error
    assert result.certificate["issuer"] == result.certificate["subject"]


def test_it_does_not_trust_the_test_ca_without_being_told(site_farm):
    result = probe(site_farm, "ok", https=True, ssl_context=None)
    assert result.error_class == "tls" and "unable to get local issuer" in result.error


def test_it_times_out_a_tls_handshake_that_never_completes(site_farm):
    """HTTPS to the farm's plain HTTP port: the server waits for a request that never comes."""
    url = site_farm.url("ok").replace("http://", "https://")
    result = asyncio.run(check(url, resolve=site_farm.resolve, timeouts=FAST,
                               ssl_context=site_farm.client_context()))
    assert result.error_class == "timeout"
    assert result.error == "timeout: TLS handshake not finished within 1 s"


# The farm can switch a site's behaviour while it runs ------------------------------------------

def test_it_follows_a_site_going_down_and_coming_back(site_farm):
    assert probe(site_farm, "s42", keyword=KEYWORD).ok
    site_farm.overrides["s42.farm.test"] = "hang"
    assert probe(site_farm, "s42", keyword=KEYWORD).error_class == "timeout"
    del site_farm.overrides["s42.farm.test"]
    assert probe(site_farm, "s42", keyword=KEYWORD).ok


# URLs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://shop.es/", "https:///nohost", "http://shop.es:99999/",
                                 "shop.es"])
def test_it_refuses_urls_it_cannot_check(url):
    with pytest.raises(InvalidURL):
        parse_target(url)


def test_it_builds_the_request_from_the_url():
    target = parse_target("https://Tienda.España.es:8443/carrito de compra?x=1#top")
    assert target.host == "tienda.xn--espaa-rta.es"
    assert target.host_header == "tienda.xn--espaa-rta.es:8443"
    assert target.request_target == "/carrito%20de%20compra?x=1"
    assert parse_target("http://[::1]/").host_header == "[::1]"


@pytest.mark.parametrize("url", ["http://a..b.es/", f"http://{'x' * 64}.es/"])
def test_it_refuses_host_names_the_idna_rules_refuse(url):
    with pytest.raises(InvalidURL):
        parse_target(url)


def test_it_lowers_an_ascii_host_name():
    assert parse_target("http://Tienda.ES/").host == "tienda.es"


def test_a_check_cancelled_from_outside_is_cancelled_not_timed_out(site_farm):
    async def run():
        task = asyncio.ensure_future(check(
            site_farm.url("hang"), resolve=site_farm.resolve,
            timeouts=PhaseTimeouts(ttfb=30, total=60)))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return task

    assert asyncio.run(run()).cancelled()


def test_it_splits_a_monitored_url_once(site_farm, monkeypatch):
    from xuala.sentry import probe_target as probe_module

    probe_module._TARGETS.clear()
    parsed = []
    original = probe_module.parse_target
    monkeypatch.setattr(probe_module, "parse_target",
                        lambda url, host_header=None: parsed.append(url) or original(
                            url, host_header))
    for _ in range(3):
        assert probe(site_farm, "ok").ok
    assert parsed == [site_farm.url("ok")]
