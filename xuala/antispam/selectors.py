"""Reads for anti-spam: whose key it is, what a site's filter knows, its verdicts and figures."""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from xuala.antispam.dnsbl import dnsbl_lookup
from xuala.antispam.filter import Item, SiteDelta, domain_of, links_of, registrable
from xuala.antispam.models import AntispamKey, Block, BlockKind, Check, Label, SiteLearning
from xuala.antispam.rules import SiteContext
from xuala.customers.models import HostingServer, Site
from xuala.customers.selectors import customer_coverage

SAME_CONTENT_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 200


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class KeyCheck:
    key: AntispamKey | None
    problem: str  # "" when the key may be used; else a machine code

    @property
    def site(self) -> Site | None:
        return self.key.site if self.key is not None else None


# A key's answer is kept this long in each process: a revoked key or a lapsed plan is
# refused at the latest this many seconds later (at once in the process that revoked it).
KEY_CACHE_SECONDS = 30.0
_KEYS: dict[str, tuple[float, KeyCheck]] = {}


def key_for_secret(*, secret: str, on: datetime) -> KeyCheck:
    """The live key for a secret, if its site has an active plan on that day."""
    secret = secret.strip()
    if not secret or len(secret) > MAX_KEY_LENGTH:
        return KeyCheck(None, "key_missing" if not secret else "key_unknown")
    digest = key_digest(secret)
    cached = _KEYS.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = _key_check(digest=digest, on=on)
    if len(_KEYS) > 10_000:
        _KEYS.clear()
    _KEYS[digest] = (time.monotonic() + KEY_CACHE_SECONDS, found)
    return found


def refresh_keys(*, on: datetime | None = None) -> None:
    """Re-reads every key this process holds (the live state's thread, every 10 s)."""
    from django.utils import timezone

    on = on or timezone.now()
    for digest in list(_KEYS):
        _KEYS[digest] = (time.monotonic() + KEY_CACHE_SECONDS, _key_check(digest=digest, on=on))


def forget_key(*, key_hash: str) -> None:
    _KEYS.pop(key_hash, None)


def _key_check(*, digest: str, on: datetime) -> KeyCheck:
    key = AntispamKey.objects.select_related("site__customer").filter(key_hash=digest).first()
    if key is None:
        return KeyCheck(None, "key_unknown")
    if key.revoked_at is not None:
        return KeyCheck(None, "key_revoked")
    if not customer_coverage(customer=key.site.customer, on=on).covers_site(key.site_id):
        return KeyCheck(None, "site_without_plan")
    return KeyCheck(key, "")


def blocked_values(*, site: Site, ips: set[str], domains: set[str], now: datetime
                   ) -> tuple[frozenset[str], frozenset[str]]:
    """Which of these addresses and domains are blocked for the site now (one query)."""
    wanted = {value.lower() for value in ips | domains if value}
    if not wanted:
        return frozenset(), frozenset()
    rows = (Block.objects.filter(value__in=wanted, expires_at__gt=now)
            .filter(Q(site=site) | Q(site__isnull=True)).values_list("kind", "value"))
    found: dict[str, set[str]] = {BlockKind.IP: set(), BlockKind.DOMAIN: set()}
    for kind, value in rows:
        found[kind].add(value)
    return frozenset(found[BlockKind.IP]), frozenset(found[BlockKind.DOMAIN])


def blocked_addresses(*, now: datetime, site: Site | None = None) -> list[str]:
    """The addresses blocked now: every site's and the global ones, or one site's and the
    global ones (for the hosting servers' block lists)."""
    rows = Block.objects.filter(kind=BlockKind.IP, expires_at__gt=now)
    if site is not None:
        rows = rows.filter(Q(site=site) | Q(site__isnull=True))
    return sorted(set(rows.values_list("value", flat=True)))


def blocked_addresses_for_server(*, server: HostingServer, now: datetime) -> list[str]:
    """The addresses a hosting server should refuse now: the blocks of the sites it serves
    and the global ones (the node's block list)."""
    rows = (Block.objects.filter(kind=BlockKind.IP, expires_at__gt=now)
            .filter(Q(site__server=server) | Q(site__isnull=True)))
    return sorted(set(rows.values_list("value", flat=True)))


def blocklist_servers() -> QuerySet[HostingServer]:
    """The servers that get a block list: active, with a node, serving a site with a key."""
    return (HostingServer.objects.filter(is_active=True, node__isnull=False,
                                         sites__antispam_keys__isnull=False)
            .distinct().order_by("pk"))


def ips_for_content(*, fingerprint: str, now: datetime) -> int:
    """How many distinct addresses sent this text (any site) in the last day."""
    return (Check.objects.filter(fingerprint=fingerprint, at__gte=now - SAME_CONTENT_WINDOW)
            .exclude(user_ip="").values("user_ip").distinct().count())


@lru_cache(maxsize=8)
def dnsbl(server: str, timeout: float):
    if not server:
        return dnsbl_lookup(timeout=timeout)
    host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "53")
    return dnsbl_lookup(nameservers=[host.strip("[]")], port=int(port or 53), timeout=timeout)


def site_context(*, site: Site, languages: tuple[str, ...], now: datetime,
                 item: Item | None = None) -> SiteContext:
    """What the rules need to know about the site; its block lists only as far as this
    item (its address, its link and author domains) needs them, or in full without one."""
    zones = tuple(settings.XUALA_ANTISPAM_DNSBL_ZONES)
    if item is None:
        live = Block.objects.filter(expires_at__gt=now).filter(Q(site=site) | Q(site__isnull=True))
        ips = frozenset(live.filter(kind=BlockKind.IP).values_list("value", flat=True))
        domains = frozenset(live.filter(kind=BlockKind.DOMAIN).values_list("value", flat=True))
    else:
        hosts = {domain_of(link) for link in links_of(item)}
        if item.url:
            hosts.add(domain_of(item.url))
        hosts.discard("")
        ips, domains = blocked_values(site=site, ips={item.user_ip.strip()},
                                      domains=hosts | {registrable(h) for h in hosts}, now=now)
    return SiteContext(
        languages=languages, spam_ips=ips, spam_domains=domains,
        ips_for_content=lambda fingerprint: ips_for_content(fingerprint=fingerprint, now=now),
        dnsbl_zones=zones,
        dnsbl_lookup=dnsbl(settings.XUALA_ANTISPAM_DNS_SERVER, 0.5) if zones else None,
    )


_DELTAS: dict[int, tuple[int, SiteDelta]] = {}


def site_delta(*, site: Site) -> SiteDelta | None:
    """The site's learning, parsed once per process for each stored version of it."""
    row = SiteLearning.objects.filter(site=site).values_list("delta", flat=True).first()
    if row is None:
        return None
    blob = bytes(row)
    version = zlib.crc32(blob) ^ len(blob)
    cached = _DELTAS.get(site.pk)
    if cached is None or cached[0] != version:
        cached = (version, SiteDelta.loads(blob))
        _DELTAS[site.pk] = cached
    return cached[1]


def sites_with_keys() -> QuerySet[Site]:
    """The sites that have (or had) an anti-spam key, by URL."""
    return (Site.objects.filter(antispam_keys__isnull=False).distinct()
            .select_related("customer").order_by("url"))


def site_recent_checks(*, site: Site, limit: int = 50) -> QuerySet[Check]:
    return Check.objects.filter(site=site, is_test=False).order_by("-at", "-id")[:limit]


@dataclass(frozen=True)
class SiteFigures:
    checked: int
    spam: int
    false_positives: int  # called spam, reported as not spam
    false_negatives: int  # let through, reported as spam


def site_figures(*, site: Site, since: datetime | None = None) -> SiteFigures:
    rows = Check.objects.filter(site=site, is_test=False)
    if since is not None:
        rows = rows.filter(at__gte=since)
    counts = rows.aggregate(
        n_checked=Count("id"), n_spam=Count("id", filter=Q(spam=True)),
        n_false_positives=Count("id", filter=Q(spam=True, corrected_to=Label.HAM)),
        n_false_negatives=Count("id", filter=Q(spam=False, corrected_to=Label.SPAM)))
    return SiteFigures(checked=counts["n_checked"], spam=counts["n_spam"],
                       false_positives=counts["n_false_positives"],
                       false_negatives=counts["n_false_negatives"])


def check_for_report(*, site: Site, fingerprint: str, guid: str = "") -> Check | None:
    """The check a report is about: by its id (Akismet's guid) or the latest with that text."""
    rows = Check.objects.filter(site=site)
    if guid and not guid.isdigit():
        found = rows.filter(guid=guid).first()
        if found is not None:
            return found
    if guid.isdigit():
        found = rows.filter(pk=int(guid)).first()
        if found is not None:
            return found
    return rows.filter(fingerprint=fingerprint).order_by("-at", "-id").first()
