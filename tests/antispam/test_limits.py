"""Rate limits per address and per network (/24, /64), in the database or in Redis."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from xuala.antispam import limits
from xuala.antispam.filter import Item
from xuala.antispam.models import RateCount
from xuala.antispam.services import antispam_check

AT = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


def _codes(check) -> set[str]:
    return {reason["code"] for reason in check.reasons}


def _send(site, ip: str, *, at=AT):
    item = Item(content="Hola, ¿tenéis cita libre el jueves?", user_ip=ip)
    return antispam_check(site=site, item=item, languages=("es",), now=at)[0]


def test_the_address_past_its_limit_gets_the_ip_rate_reason(plan_site, settings):
    settings.XUALA_ANTISPAM_IP_PER_MINUTE = 3
    checks = [_send(plan_site, "203.0.113.9") for _ in range(4)]
    assert "ip_rate" not in _codes(checks[2])
    assert "ip_rate" in _codes(checks[3])


def test_the_count_starts_again_the_next_minute(plan_site, settings):
    settings.XUALA_ANTISPAM_IP_PER_MINUTE = 2
    for _ in range(3):
        _send(plan_site, "203.0.113.9")
    assert "ip_rate" not in _codes(_send(plan_site, "203.0.113.9", at=AT + timedelta(minutes=1)))


def test_many_addresses_of_one_ipv4_network_get_the_network_rate_reason(plan_site, settings):
    settings.XUALA_ANTISPAM_NET_PER_MINUTE = 3
    checks = [_send(plan_site, f"203.0.113.{n}") for n in range(1, 5)]
    assert "network_rate" not in _codes(checks[2])
    assert {"network_rate"} <= _codes(checks[3])
    assert "network_rate" not in _codes(_send(plan_site, "203.0.114.1"))  # another /24


def test_an_ipv6_network_is_its_64(plan_site, settings):
    settings.XUALA_ANTISPAM_NET_PER_MINUTE = 2
    _send(plan_site, "2001:db8:1:2::a")
    _send(plan_site, "2001:db8:1:2::b")
    assert "network_rate" in _codes(_send(plan_site, "2001:db8:1:2:ffff::1"))
    assert "network_rate" not in _codes(_send(plan_site, "2001:db8:1:3::1"))


def test_without_redis_the_counts_are_database_rows(plan_site, settings):
    settings.XUALA_REDIS_URL = ""
    _send(plan_site, "203.0.113.9")
    _send(plan_site, "203.0.113.9")
    assert RateCount.objects.get(scope="ip:203.0.113.9").count == 2
    assert RateCount.objects.get(scope="net:203.0.113.0/24").count == 2


def test_with_redis_the_counts_live_there_and_not_in_the_database(plan_site, settings):
    settings.XUALA_REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.XUALA_ANTISPAM_IP_PER_MINUTE = 2
    ip = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    minute = int(AT.timestamp() // 60)
    client = limits._redis()
    client.delete(f"xuala:antispam:rate:ip:{ip}:{minute}")
    checks = [_send(plan_site, ip) for _ in range(3)]
    assert "ip_rate" in _codes(checks[2])
    assert int(client.get(f"xuala:antispam:rate:ip:{ip}:{minute}")) == 3
    assert not RateCount.objects.exists()


def test_a_served_process_counts_in_memory_and_the_sync_shares_it(plan_site, settings):
    settings.XUALA_REDIS_URL = ""
    minute = int(AT.timestamp() // 60)
    wanted = limits.scopes("203.0.113.9")
    mine, other = limits.DbCounts(), limits.DbCounts()
    assert mine.hit(wanted, minute, at_once=False) == [1, 1]
    assert not RateCount.objects.exists()
    mine.sync(minute=minute)
    assert other.hit(wanted, minute, at_once=True) == [2, 2]


@pytest.mark.parametrize("ip", ["", "not an address"])
def test_no_address_counts_nothing(ip):
    assert limits.scopes(ip) == []


def test_a_keys_calls_are_counted_in_redis_for_every_process(plan_key, settings):
    settings.XUALA_REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.XUALA_ANTISPAM_RATE_PER_MINUTE = 2
    key_id = random.randrange(10**6, 10**7)  # a counter no other run shares
    limits._redis().delete(f"xuala:antispam:rate:key:{key_id}:{int(AT.timestamp() // 60)}")
    allowed = [limits.key_allows(key_id, now=AT, served=True) for _ in range(3)]
    assert allowed == [True, True, False]
    assert not RateCount.objects.exists()


def test_a_keys_calls_in_one_served_process_count_in_the_others_after_the_sync(plan_key,
                                                                               settings):
    settings.XUALA_REDIS_URL = ""
    settings.XUALA_ANTISPAM_RATE_PER_MINUTE = 2
    assert limits.key_allows(7, now=AT, served=True)
    assert limits.key_allows(7, now=AT, served=True)
    minute = int(AT.timestamp() // 60)
    limits.DB.sync(minute=minute)
    limits.DB = limits.DbCounts()  # another web process: it learns the total at its own sync
    assert limits.key_allows(7, now=AT, served=True)
    limits.DB.sync(minute=minute)
    assert RateCount.objects.get(scope="key:7").count == 3
    assert not limits.key_allows(7, now=AT, served=True)
