"""State changes of anti-spam: keys, checks (each verdict stored with its reasons), reports."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xuala.antispam import limits, live, selectors
from xuala.antispam.blocklist import normal
from xuala.antispam.filter import Item, SiteDelta, domain_of, links_of, registrable
from xuala.antispam.models import (
    AntispamEvent,
    AntispamKey,
    Block,
    BlockKind,
    Check,
    Label,
    SiteLearning,
)
from xuala.antispam.rules import content_fingerprint
from xuala.antispam.verdict import Verdict, learn, verdict
from xuala.customers.models import Site
from xuala.nodes.models import Job
from xuala.nodes.services import job_enqueue

KEY_PREFIX = "xs"
STORED_CONTENT = 20_000  # characters of a submission kept with its verdict


class SiteNotFound(Exception):
    """No site answers to that URL."""


@dataclass(frozen=True)
class IssuedKey:
    key: AntispamKey
    secret: str  # shown once, never stored


def site_for_url(url: str) -> Site:
    """The site whose URL has this host (with or without "www."), or SiteNotFound."""
    host = domain_of(url.strip())
    if not host:
        raise SiteNotFound(url)
    for site in Site.objects.select_related("customer").order_by("pk"):
        if domain_of(site.url) == host:
            return site
    raise SiteNotFound(url)


def antispam_key_create(*, site: Site, actor=None, at: datetime | None = None) -> IssuedKey:
    """A new key for one site; the secret is returned once and stored as its hash."""
    for _attempt in range(5):
        prefix = KEY_PREFIX + secrets.token_hex(4)
        secret = f"{prefix}{secrets.token_hex(12)}"
        try:
            with transaction.atomic():
                key = AntispamKey.objects.create(site=site, prefix=prefix,
                                                 key_hash=selectors.key_digest(secret),
                                                 created_at=at or timezone.now())
                AntispamEvent.objects.create(site=site, key="antispam.key_created", actor=actor,
                                             at=key.created_at, data={"prefix": prefix})
        except IntegrityError:
            continue
        return IssuedKey(key=key, secret=secret)
    raise RuntimeError("could not draw a unique key prefix")


def antispam_key_revoke(*, key: AntispamKey, actor=None, at: datetime | None = None) -> None:
    if key.revoked_at is not None:
        return
    with transaction.atomic():
        key.revoked_at = at or timezone.now()
        key.save(update_fields=["revoked_at"])
        selectors.forget_key(key_hash=key.key_hash)
        AntispamEvent.objects.create(site=key.site, key="antispam.key_revoked", actor=actor,
                                     at=key.revoked_at, data={"prefix": key.prefix})


def antispam_rate_allow(*, key: AntispamKey, now: datetime | None = None) -> bool:
    """Counts one call against the key's budget for this minute, across the desk's processes
    (Redis, or the database counts that each served process adds to every second)."""
    return limits.key_allows(key.pk, now=now or timezone.now(), served=live.serving())


_GUIDS: dict[int, tuple[str, itertools.count]] = {}


def _guid() -> str:
    """A check's guid: a random prefix per process and a counter (no system call per check)."""
    pid = os.getpid()
    held = _GUIDS.get(pid)
    if held is None:
        held = _GUIDS[pid] = (secrets.token_hex(8), itertools.count(1))
    return f"{held[0]}{next(held[1]):016x}"


def antispam_check(*, site: Site, item: Item, languages: tuple[str, ...], is_test: bool = False,
                   now: datetime | None = None, at_once: bool = False) -> tuple[Check, Verdict]:
    """Judges one submission for a site and stores the verdict with its reasons.

    In a served process nothing here waits on the database (`xuala.antispam.live`): the
    block lists, the site's learning and the recent texts are in memory, and the row is
    written in a batch after the answer (its `guid` is drawn now, so the answer can name
    it). `at_once` writes the row before returning (the JSON API answers with its id).
    The stored check is its own record: it carries no event row, which would double the
    writes of the service's busiest path. Reports and corrections do write events.
    """
    now = now or timezone.now()
    zones = tuple(settings.XUALA_ANTISPAM_DNSBL_ZONES)
    lookup = selectors.dnsbl(settings.XUALA_ANTISPAM_DNS_SERVER, 0.5) if zones else None
    context = live.context(site=site, languages=languages, item=item, now=now, zones=zones,
                           lookup=lookup)
    decided = verdict(item, context, delta=live.delta(site=site))
    row = Check(
        site=site, at=now, spam=decided.spam, certain=decided.certain, guid=_guid(),
        score=round(decided.score, 6), reasons=[r.as_dict() for r in decided.reasons],
        comment_type=item.type[:40], author=item.author[:200], email=item.email[:254],
        url=item.url[:500], content=item.content[:STORED_CONTENT], user_ip=item.user_ip[:45],
        user_agent=item.user_agent[:500], fingerprint=content_fingerprint(item.content),
        is_test=is_test)
    live.STATE.record(row, at_once=at_once)
    return row, decided


def _block(*, kind: str, value: str, site: Site, check: Check | None, now: datetime) -> None:
    expires = now + timedelta(days=settings.XUALA_ANTISPAM_BLOCK_DAYS)
    block, created = Block.objects.get_or_create(
        kind=kind, value=value.lower(), site=site,
        defaults={"expires_at": expires, "created_at": now, "check_row": check,
                  "changed_at": timezone.now()})
    if not created and block.expires_at < expires:
        block.expires_at, block.changed_at = expires, timezone.now()
        block.save(update_fields=["expires_at", "changed_at"])


def _hosts(item: Item) -> set[str]:
    hosts = {domain_of(link) for link in links_of(item)}
    if item.url:
        hosts.add(domain_of(item.url))
    return {registrable(h) for h in hosts if h}


def antispam_report(*, site: Site, item: Item, spam: bool, languages: tuple[str, ...] = ("es",),
                    guid: str = "", actor=None, via: str = "akismet",
                    now: datetime | None = None) -> Check | None:
    """A site (submit-spam/submit-ham) or an agent says what an item really was.

    The site's model learns from it at once; a spam report also blocks the sender's
    address and the item's link domains for that site (until they expire); a ham report
    lifts that site's blocks on them. Returns the check it corrects, when one is found.
    """
    now = now or timezone.now()
    live.STATE.flush()  # the check it may be about could still be waiting in this process
    label = Label.SPAM if spam else Label.HAM
    fingerprint = content_fingerprint(item.content)
    with transaction.atomic():
        check = selectors.check_for_report(site=site, fingerprint=fingerprint, guid=guid)
        if check is not None:
            check.corrected_to, check.corrected_at, check.corrected_by = label, now, actor
            check.save(update_fields=["corrected_to", "corrected_at", "corrected_by"])
        learning, _ = SiteLearning.objects.select_for_update().get_or_create(site=site)
        context = selectors.site_context(site=site, languages=languages, now=now, item=item)
        delta = learn(item, context, spam=spam,
                      delta=selectors.site_delta(site=site) or SiteDelta())
        learning.delta = delta.dumps()
        learning.reports += 1
        learning.updated_at = now
        learning.save(update_fields=["delta", "reports", "updated_at"])
        ip = _normal_ip(item.user_ip)
        hosts = _hosts(item)
        if spam:
            if ip:
                _block(kind=BlockKind.IP, value=ip, site=site, check=check, now=now)
            for host in hosts:
                _block(kind=BlockKind.DOMAIN, value=host, site=site, check=check, now=now)
        else:
            Block.objects.filter(site=site, kind=BlockKind.IP, value=ip).delete()
            Block.objects.filter(site=site, kind=BlockKind.DOMAIN, value__in=hosts).delete()
        if ip:
            antispam_blocklist_publish(now=now)
        AntispamEvent.objects.create(
            site=site, key=f"antispam.reported_{label}", actor=actor, at=now,
            data={"via": via, "check": check.pk if check else None,
                  "was": ("spam" if check.spam else "ham") if check else None})
    live.changed(now=now)
    return check


def antispam_correct(*, check: Check, spam: bool, actor, languages: tuple[str, ...] = ("es",),
                     now: datetime | None = None) -> Check | None:
    """An agent corrects a stored verdict from the console: the same path as a site's report."""
    item = Item(content=check.content, author=check.author, email=check.email, url=check.url,
                type=check.comment_type or "comment", user_ip=check.user_ip)
    return antispam_report(site=check.site, item=item, spam=spam, languages=languages,
                           guid=check.guid or str(check.pk), actor=actor, via="console", now=now)


def _normal_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return ""



BLOCKLIST_KIND = "antispam.blocklist"
SWEEP_BATCH = 1000
SWEEP_SECONDS = 60.0


def antispam_blocklist_publish(*, now: datetime | None = None) -> list[Job]:
    """Queues a node job (`antispam.blocklist`) for each server whose block list changed.

    A server's list is the addresses blocked now for the sites it serves and the global
    ones. Its job carries the whole list, its digest and when it was issued; it is queued
    only when the digest differs from the server's latest job's, under a key made of the
    server, that job and the digest: publishing the same list again, from any number of
    processes, queues it once, and a list that returns to an earlier content after a
    change is queued anew. The node applies a list only if it is newer than the one it
    applied last (node_jobs.py). Returns the jobs queued.
    """
    now = now or timezone.now()
    queued = []
    for server in selectors.blocklist_servers():
        addresses = normal(selectors.blocked_addresses_for_server(server=server, now=now))
        digest = hashlib.sha256("\n".join(addresses).encode()).hexdigest()[:16]
        last = (Job.objects.filter(kind=BLOCKLIST_KIND, server=server)
                .order_by("-created_at", "-pk").first())
        if last is not None and last.params.get("digest") == digest:
            continue
        key = f"{BLOCKLIST_KIND}:{server.pk}:{last.pk if last else 0}:{digest}"
        job, created = job_enqueue(
            kind=BLOCKLIST_KIND, key=key, server=server, at=now,
            params={"addresses": addresses, "digest": digest, "issued_at": now.isoformat()})
        if created:
            queued.append(job)
            AntispamEvent.objects.create(key="antispam.blocklist_queued", at=now,
                                         data={"server": server.pk, "job": job.pk,
                                               "addresses": len(addresses)})
    return queued


def antispam_sweep(*, now: datetime | None = None) -> int:
    """The anti-spam engine step: deletes the blocks that have expired (and queues the
    servers' new block lists when any had), and stores the journalled verdicts of web
    processes that died before writing them. Returns the rows it dealt with."""
    now = now or timezone.now()
    expired = list(Block.objects.filter(expires_at__lte=now)
                   .order_by("expires_at", "pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    done = 0
    if expired:
        with transaction.atomic():
            # A row another sweep deleted first is simply not counted here.
            done = Block.objects.filter(pk__in=expired, expires_at__lte=now).delete()[0]
            if done:
                AntispamEvent.objects.create(key="antispam.blocks_expired", at=now,
                                             data={"blocks": done})
                antispam_blocklist_publish(now=now)
        live.changed(now=now)
    return done + live.recover_journals()


# Every served web process sweeps once a minute from its live-state thread, so `xuala run`
# needs no process of its own for it (several sweeping at once delete each row once).
live.every(SWEEP_SECONDS, antispam_sweep)
