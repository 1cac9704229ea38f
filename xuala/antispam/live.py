"""What a check needs, held in each process's memory, so the answer waits on no database.

A `comment-check` reads the site's block lists, the site's learning (its delta on the
global model) and how many addresses sent the same text lately, and it stores its
verdict. In a served process (`serve()`, called by the WSGI entry point) none of that
touches the database while the visitor waits:

- **block lists** (live `Block` rows, every site's and the global ones) are held in
  memory and reloaded when their version changes (row count and latest `changed_at`),
  which a background thread asks every `REFRESH_SECONDS`;
- **site learning** (`SiteLearning.delta`) is parsed once per stored version (its
  `reports` counter), asked by the same thread;
- **recent texts**: fingerprint -> address -> when, fed by this process's own checks at
  once and by the other processes' stored checks (the thread tails `Check` by id), kept
  for `SAME_CONTENT_WINDOW`;
- **verdict rows** are appended to this process's journal (journal.py: one `write()` of
  one line, which survives the process being killed) and go to a buffer that the thread
  inserts every `XUALA_ANTISPAM_FLUSH_MS` (500) or as soon as `FLUSH_ROWS` are waiting,
  one transaction of plain INSERTs. A clean shutdown (SIGTERM to the server, interpreter
  exit) writes what is left (`atexit`, and multiprocessing's finalizers in granian's worker
  processes, which leave through `os._exit`). After a crash (SIGKILL, an out-of-memory
  kill) the rows are in the dead process's journal segment: the next served process to
  start, or the anti-spam sweep, stores them (`recover_journals`). A write that fails
  (the database away) keeps the rows, and their segments, for the next try.
- **keys** are held by `selectors.key_for_secret` for `KEY_CACHE_SECONDS` (30 s); the
  thread re-reads every held key every `KEY_REFRESH_SECONDS` (10 s), so a revoked key or
  a lapsed plan is refused within about 10 s everywhere (30 s at worst if the thread is
  stuck), and at once in the process that revoked it.

Rate limits per address and network (limits.py) count in Redis when it is configured, or
in memory with the thread adding them to the database every `REFRESH_SECONDS`.

A report (`submit-spam`/`submit-ham`, an agent's correction) is written at once and
refreshes this process's state at once; the other processes follow within
`REFRESH_SECONDS`.

Outside a served process (tests, commands, the shell) the same structures are used, but
every check first refreshes them from the database and writes its row at once, so what a
test sees is what the served path computes.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Max

from xuala.antispam import journal, limits
from xuala.antispam.filter import Item, SiteDelta, domain_of, links_of, registrable
from xuala.antispam.models import Block, BlockKind, Check, SiteLearning
from xuala.antispam.rules import SiteContext

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
KEY_REFRESH_SECONDS = 10.0
FLUSH_ROWS = 500
SAME_CONTENT_WINDOW = timedelta(hours=24)
TAIL_ROWS = 100_000  # stored checks read per refresh at most


class LiveState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flushing = threading.Lock()  # one batch write at a time (the thread, atexit)
        self.reset()

    def reset(self) -> None:
        """Forget everything (tests; a process that changed databases)."""
        with getattr(self, "lock", threading.Lock()):
            if getattr(self, "_journal", None) is not None:
                self._journal.close()
            self.blocks: dict[int | None, dict[tuple[str, str], float]] = {}
            self.block_version: tuple | None = None
            self.deltas: dict[int, tuple[int, SiteDelta]] = {}
            self.recent: dict[str, dict[str, float]] = {}
            self.last_check_pk = 0
            self.recent_loaded = False
            self.pending: list[Check] = []
            self.pruned_at = 0.0
            self._journal: journal.Journal | None = None

    # ------------------------------------------------------------------ reads

    def context(self, *, site, languages: tuple[str, ...], item: Item, now: datetime,
                zones: tuple[str, ...] = (), lookup=None, rates: tuple = ()) -> SiteContext:
        stamp = now.timestamp()
        hosts = {domain_of(link) for link in links_of(item)}
        if item.url:
            hosts.add(domain_of(item.url))
        hosts.discard("")
        wanted_domains = hosts | {registrable(h) for h in hosts}
        ip = item.user_ip.strip().lower()
        ips, domains = set(), set()
        for owner in (site.pk, None):
            rows = self.blocks.get(owner)
            if not rows:
                continue
            if ip and rows.get((BlockKind.IP, ip), 0.0) > stamp:
                ips.add(ip)
            for value in wanted_domains:
                if rows.get((BlockKind.DOMAIN, value.lower()), 0.0) > stamp:
                    domains.add(value.lower())
        since = stamp - SAME_CONTENT_WINDOW.total_seconds()
        recent = self.recent

        def ips_for_content(fingerprint: str) -> int:
            seen = recent.get(fingerprint)
            return sum(1 for at in seen.values() if at >= since) if seen else 0

        return SiteContext(languages=languages, spam_ips=frozenset(ips),
                           spam_domains=frozenset(domains), ips_for_content=ips_for_content,
                           dnsbl_zones=zones, dnsbl_lookup=lookup, rates=rates)

    def delta(self, *, site) -> SiteDelta | None:
        held = self.deltas.get(site.pk)
        return held[1] if held is not None else None

    # ----------------------------------------------------------------- writes

    def record(self, row: Check, *, at_once: bool = False) -> None:
        """Keeps a verdict row: journalled and in the buffer when served, written now otherwise."""
        if row.user_ip and row.fingerprint:
            self.recent.setdefault(row.fingerprint, {})[row.user_ip] = row.at.timestamp()
        if at_once or not _serving.is_set():
            row.save(force_insert=True)
            return
        line = journal.encode(row)
        with self.lock:
            try:
                self.journal().append(line)
            except OSError:  # a full or read-only disk: the row still waits in memory
                log.exception("antispam: verdict row not journalled")
            self.pending.append(row)
            waiting = len(self.pending)
        _ensure_thread()
        if waiting >= FLUSH_ROWS:
            _wake.set()

    def journal(self) -> journal.Journal:
        if self._journal is None:
            self._journal = journal.Journal(journal_folder())
        return self._journal

    def flush(self) -> int:
        """Writes the waiting verdict rows; on failure they wait for the next try."""
        with self.flushing:
            with self.lock:
                rows, self.pending = self.pending, []
                if self._journal is not None:
                    self._journal.seal()
            if not rows:
                return 0
            try:
                insert_checks(rows)
            except Exception:
                log.exception("antispam: %d verdict rows not written; retrying", len(rows))
                with self.lock:
                    self.pending[:0] = rows
                if not connection.in_atomic_block:  # a fresh connection for the next try
                    connection.close()
                return 0
            self.journal().stored()
            return len(rows)

    # ---------------------------------------------------------------- refresh

    def refresh(self, *, now: datetime | None = None) -> None:
        """Brings the block lists, the site learning and the recent texts up to date."""
        from django.utils import timezone

        now = now or timezone.now()
        self._refresh_blocks(now)
        self._refresh_deltas()
        self._refresh_recent(now)

    def _refresh_blocks(self, now: datetime) -> None:
        version = Block.objects.aggregate(n=Count("id"), changed=Max("changed_at"))
        version = (version["n"], version["changed"])
        if version == self.block_version:
            return
        blocks: dict[int | None, dict[tuple[str, str], float]] = {}
        rows = Block.objects.filter(expires_at__gt=now).values_list(
            "site_id", "kind", "value", "expires_at")
        for site_id, kind, value, expires in rows.iterator(chunk_size=5000):
            blocks.setdefault(site_id, {})[(kind, value.lower())] = expires.timestamp()
        self.blocks, self.block_version = blocks, version

    def _refresh_deltas(self) -> None:
        stored = dict(SiteLearning.objects.values_list("site_id", "reports"))
        changed = [site_id for site_id, reports in stored.items()
                   if self.deltas.get(site_id, (None,))[0] != reports]
        deltas = {site_id: held for site_id, held in self.deltas.items() if site_id in stored}
        if changed:
            for site_id, reports, blob in SiteLearning.objects.filter(
                    site_id__in=changed).values_list("site_id", "reports", "delta"):
                deltas[site_id] = (reports, SiteDelta.loads(bytes(blob)))
        self.deltas = deltas

    def _refresh_recent(self, now: datetime) -> None:
        since = now - SAME_CONTENT_WINDOW
        rows = Check.objects.exclude(user_ip="")
        if not self.recent_loaded:
            rows = rows.filter(at__gte=since)
        else:
            rows = rows.filter(pk__gt=self.last_check_pk)
        rows = rows.order_by("-pk").values_list("pk", "fingerprint", "user_ip", "at")[:TAIL_ROWS]
        recent = self.recent
        for pk, fingerprint, ip, at in rows:
            seen = recent.setdefault(fingerprint, {})
            stamp = at.timestamp()
            if seen.get(ip, 0.0) < stamp:
                seen[ip] = stamp
            self.last_check_pk = max(self.last_check_pk, pk)
        if not self.recent_loaded:
            self.recent_loaded = True
            self.last_check_pk = max(self.last_check_pk,
                                     Check.objects.aggregate(m=Max("pk"))["m"] or 0)
        if time.monotonic() - self.pruned_at > 60:
            self.pruned_at = time.monotonic()
            limit = since.timestamp()
            for fingerprint in list(recent):
                seen = recent.get(fingerprint) or {}
                if all(at < limit for at in list(seen.values())):
                    recent.pop(fingerprint, None)


def journal_folder() -> Path:
    return Path(settings.DATA_DIR) / "antispam-journal"


def insert_checks(rows: list[Check]) -> None:
    """Inserts verdict rows in one transaction: a plain INSERT per row, several times
    cheaper than `bulk_create` (which prepares every field of every object)."""
    fields = [Check._meta.get_field(name) for name in ("at", *journal.FIELDS, "corrected_to")]
    quote = connection.ops.quote_name
    # Names from the model's own fields, values as parameters: nothing from outside in the text.
    sql = (f"INSERT INTO {quote(Check._meta.db_table)} "  # noqa: S608
           f"({', '.join(quote(field.column) for field in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    at, reasons = fields[0], fields[journal.FIELDS.index("reasons") + 1]
    params = [[at.get_db_prep_save(row.at, connection),
               *(reasons.get_db_prep_save(row.reasons, connection) if name == "reasons"
                 else getattr(row, name) for name in journal.FIELDS), ""] for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(params), FLUSH_ROWS):
            cursor.executemany(sql, params[start:start + FLUSH_ROWS])


def _store_recovered(rows: list[dict]) -> int:
    known: set[str] = set()
    guids = [row["guid"] for row in rows if row["guid"]]
    for start in range(0, len(guids), FLUSH_ROWS):
        known.update(Check.objects.filter(guid__in=guids[start:start + FLUSH_ROWS])
                     .values_list("guid", flat=True))
    missing = [Check(**row) for row in rows if not row["guid"] or row["guid"] not in known]
    if missing:
        insert_checks(missing)
    return len(missing)


def recover_journals() -> int:
    """Stores the journalled verdict rows of processes that died before writing them."""
    return journal.recover(journal_folder(), _store_recovered)


STATE = LiveState()
_serving = threading.Event()
_wake = threading.Event()
_thread_pid: int | None = None
_thread_lock = threading.Lock()


_PERIODIC: list[list] = []  # [seconds, step, next due (monotonic)]


def every(seconds: float, step: Callable[[], object]) -> None:
    """Runs `step` from the thread of every served process every `seconds` (services.py
    registers the anti-spam sweep here: this module cannot import it)."""
    _PERIODIC.append([seconds, step, time.monotonic() + seconds])


def serve() -> None:
    """This process serves requests: keep state fresh and write verdicts in the background."""
    _serving.set()


def serving() -> bool:
    return _serving.is_set()


def context(*, site, languages, item, now, zones=(), lookup=None) -> SiteContext:
    served = _serving.is_set()
    if not served:
        STATE.refresh(now=now)
    elif STATE.block_version is None:
        _first_load(now)
    rates = tuple(limits.hit(item.user_ip, now=now, served=served)) if item.user_ip else ()
    return STATE.context(site=site, languages=languages, item=item, now=now, zones=zones,
                         lookup=lookup, rates=rates)


def delta(*, site) -> SiteDelta | None:
    return STATE.delta(site=site)


def _first_load(now: datetime) -> None:
    """A served process's first check waits for the state once; later ones never do."""
    with _thread_lock:
        if STATE.block_version is None:
            STATE.refresh(now=now)


def changed(*, now: datetime | None = None) -> None:
    """A report or a block changed the stored state: this process follows it at once."""
    if _serving.is_set() or STATE.block_version is not None:
        STATE.refresh(now=now)


def _ensure_thread() -> None:
    global _thread_pid
    if _thread_pid == os.getpid():
        return
    with _thread_lock:
        if _thread_pid == os.getpid():
            return
        _thread_pid = os.getpid()
        threading.Thread(target=_run, name="antispam-live", daemon=True).start()
        atexit.register(_final_flush)
        # granian's workers are multiprocessing children, which leave through os._exit
        # after their own finalizers, never through atexit: register there too.
        multiprocessing.util.Finalize(None, _final_flush, exitpriority=100)


def _run() -> None:
    from xuala.antispam import selectors

    next_refresh = next_keys = time.monotonic()
    try:
        recover_journals()
    except Exception:
        log.exception("antispam: journalled verdicts of dead processes not recovered yet")
        close_old_connections()
    while True:
        _wake.wait(settings.XUALA_ANTISPAM_FLUSH_MS / 1000)
        _wake.clear()
        try:
            STATE.flush()
            clock = time.monotonic()
            if clock >= next_refresh:
                next_refresh = clock + REFRESH_SECONDS
                STATE.refresh()
                if not settings.XUALA_REDIS_URL:
                    limits.DB.sync(minute=int(time.time() // 60))
            if clock >= next_keys:
                next_keys = clock + KEY_REFRESH_SECONDS
                selectors.refresh_keys()
            for periodic in _PERIODIC:
                if clock >= periodic[2]:
                    periodic[2] = clock + periodic[0]
                    periodic[1]()
        except Exception:
            log.exception("antispam: live state refresh failed")
            close_old_connections()
            time.sleep(settings.XUALA_ANTISPAM_FLUSH_MS / 1000)


def _final_flush() -> None:
    for _attempt in range(3):
        STATE.flush()
        if not STATE.pending:
            return
        time.sleep(0.2)


def warm() -> None:
    """Loads the global model, the language detector and the disposable-domain list now, so a
    web process's first check does not wait for them (a plugin gives the service 3 s)."""
    from xuala.antispam.filter import global_model
    from xuala.antispam.rules import _detector, disposable_domains, language_of

    global_model()
    disposable_domains()
    _detector()
    language_of("a short text to wake the detector up")


def start_in_worker() -> None:
    """Called by the WSGI entry point: this process answers requests."""
    serve()
    _ensure_thread()
