"""Rate limits at the door: submissions per sending address and per network, per minute.

Each check counts one submission against its address (`user_ip`) and its network (the
/24 of an IPv4 address, the /64 of an IPv6 one) for the current minute, across every
site the desk serves. Past `XUALA_ANTISPAM_IP_PER_MINUTE` (address) or
`XUALA_ANTISPAM_NET_PER_MINUTE` (network) the verdict gets the `ip_rate` or
`network_rate` reason (rules.py): the visitor is not refused, the flood is judged spam.
Each call of a key (any Akismet endpoint) counts the same way against
`XUALA_ANTISPAM_RATE_PER_MINUTE`; past it the call is refused with 429 (akismet.py).

Where the counts live:
- with `XUALA_REDIS_URL` set, in Redis: one pipelined round trip (INCR and EXPIRE of both
  counters) per check, exact across every process and server;
- otherwise in the database (`antispam.RateCount`, one row per scope and minute). A served
  process keeps its own increments in memory and the live state's thread adds them to the
  rows and reads the totals back every `REFRESH_SECONDS` (live.py): a process sees the
  others' counts about a second late, never its own late. Outside a served process every
  hit is written at once. If Redis cannot be reached the database path is used for that
  check (logged once per process).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction

from xuala.antispam.models import RateCount

log = logging.getLogger(__name__)
KEEP_MINUTES = 10  # RateCount rows older than this are deleted by the sync
# SQLite (3.24+) and PostgreSQL both add to the row when it is there.
UPSERT = ("INSERT INTO antispam_ratecount (scope, minute, count) VALUES (%s, %s, %s) "
          "ON CONFLICT (scope, minute) DO UPDATE SET count = antispam_ratecount.count + "
          "excluded.count")


@dataclass(frozen=True)
class Rate:
    scope: str  # "ip:203.0.113.9" or "net:203.0.113.0/24"
    count: int  # submissions in this minute, this one included
    limit: int

    @property
    def over(self) -> bool:
        return self.count > self.limit


def scopes(ip: str) -> list[tuple[str, int]]:
    """The counters a submission from this address counts against, with their limits."""
    names = _scope_names(ip.strip())
    if names is None:
        return []
    return [(names[0], settings.XUALA_ANTISPAM_IP_PER_MINUTE),
            (names[1], settings.XUALA_ANTISPAM_NET_PER_MINUTE)]


@lru_cache(maxsize=65_536)
def _scope_names(ip: str) -> tuple[str, str] | None:
    # Parsing an address is most of a hit's cost; the same senders come back.
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 64
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return f"ip:{address}", f"net:{network}"


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


# ------------------------------------------------------------------------------ Redis

_REDIS: dict[int, object] = {}
_redis_failed = False


def _redis():
    url = settings.XUALA_REDIS_URL
    if not url:
        return None
    client = _REDIS.get(os.getpid())
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
        _REDIS.clear()
        _REDIS[os.getpid()] = client
    return client


def _redis_hit(client, wanted: list[tuple[str, int]], minute: int) -> list[int]:
    pipe = client.pipeline(transaction=False)
    for scope, _limit in wanted:
        name = f"xuala:antispam:rate:{scope}:{minute}"
        pipe.incr(name)
        pipe.expire(name, 120)
    return [int(value) for value in pipe.execute()[::2]]


# --------------------------------------------------------------------------- database

class DbCounts:
    """This process's view of the database counters (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mine: dict[tuple[str, int], int] = {}  # not yet written
        self.shared: dict[tuple[str, int], int] = {}  # totals read at the last sync

    def hit(self, wanted: list[tuple[str, int]], minute: int, *, at_once: bool) -> list[int]:
        with self.lock:
            for scope, _limit in wanted:
                self.mine[(scope, minute)] = self.mine.get((scope, minute), 0) + 1
        if at_once:
            self.sync(minute=minute, only={(scope, minute) for scope, _ in wanted})
        return [self.shared.get((scope, minute), 0) + self.mine.get((scope, minute), 0)
                for scope, _limit in wanted]

    def sync(self, *, minute: int, only: set | None = None) -> None:
        """Adds this process's increments to the rows and reads the current totals back."""
        with self.lock:
            if only is None:
                written, self.mine = self.mine, {}
            else:
                written = {key: self.mine.pop(key) for key in only if key in self.mine}
        if written:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(UPSERT, [(scope, at, n) for (scope, at), n in written.items()])
        current = {scope for (scope, at) in (only or self.shared.keys() | written.keys())
                   if at == minute}
        totals = dict.fromkeys(((scope, minute) for scope in current), 0)
        if current:
            totals.update(((scope, minute), count) for scope, count in RateCount.objects.filter(
                minute=minute, scope__in=current).values_list("scope", "count"))
        with self.lock:
            if only is None:
                self.shared = totals
            else:
                self.shared.update(totals)
        if only is None:
            RateCount.objects.filter(minute__lt=minute - KEEP_MINUTES).delete()


DB = DbCounts()


def count(wanted: list[tuple[str, int]], *, now: datetime, served: bool) -> list[int]:
    """Counts one hit against each of these counters; their counts after it."""
    global _redis_failed
    minute = _minute(now)
    client = _redis()
    if client is not None:
        try:
            return _redis_hit(client, wanted, minute)
        except Exception:
            if not _redis_failed:
                log.exception("antispam: Redis not reachable; counting in the database")
                _redis_failed = True
    return DB.hit(wanted, minute, at_once=not served)


def hit(ip: str, *, now: datetime, served: bool) -> list[Rate]:
    """Counts one submission from this address; its counters as they stand after it."""
    wanted = scopes(ip)
    if not wanted:
        return []
    counts = count(wanted, now=now, served=served)
    return [Rate(scope, n, limit) for (scope, limit), n in zip(wanted, counts, strict=True)]


def key_allows(key_id: int, *, now: datetime, served: bool) -> bool:
    """Counts one call of a key; whether it is within `XUALA_ANTISPAM_RATE_PER_MINUTE`."""
    limit = settings.XUALA_ANTISPAM_RATE_PER_MINUTE
    return count([(f"key:{key_id}", limit)], now=now, served=served)[0] <= limit
