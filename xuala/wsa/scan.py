"""One scan of one tree: signatures, integrity, hidden files, vulnerabilities, database."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xuala.wsa import signatures, vulns
from xuala.wsa.findings import SERIOUS, SEVERITIES, Finding, Skipped, display_path
from xuala.wsa.hidden import Hidden
from xuala.wsa.index import Index, default_path
from xuala.wsa.integrity import Integrity, md5_of
from xuala.wsa.walk import MAX_SIZE, Entry, walk

FULL_EVERY = 10


class ScanError(Exception):
    """The scan could not run at all (no such tree, rules that do not compile...)."""


@dataclass
class Report:
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    full: bool = True
    admins: list[str] | None = None  # the administrators' logins, when the database was read

    @property
    def serious(self) -> bool:
        return any(f.severity in SERIOUS for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 1 if self.serious else 0

    def as_dict(self) -> dict:
        order = {s: i for i, s in enumerate(SEVERITIES)}
        findings = sorted(self.findings, key=lambda f: (order[f.severity], f.path, f.rule))
        return {"files": self.files, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "findings": [f.as_dict() for f in findings],
                "skipped": [s.as_dict() for s in self.skipped],
                **({"admins": sorted(self.admins)} if self.admins is not None else {})}


def _read(entry: Entry) -> bytes:
    """The file's bytes, refusing anything that turned into a non-file since the walk."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    handle = os.open(entry.path, flags)
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode) or st.st_ino != entry.st.st_ino:
            raise OSError(0, "changed during the scan")
        chunks, left = [], min(st.st_size, MAX_SIZE)
        while left > 0:
            chunk = os.read(handle, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def scan_tree(root: str | Path, *, full: bool = False, index: Path | bool | None = True,
              rule_dirs: list[Path] | None = None, database: bool = False,
              known_admins: list[str] | None = None, now: float | None = None,
              full_every: int = FULL_EVERY, network: bool = True,
              progress: Callable[[int, int, int], None] | None = None) -> Report:
    started = time.monotonic()
    root = os.path.realpath(root)
    if not os.path.isdir(root):
        raise ScanError(f"{root} is not a directory")
    try:
        sigs = signatures.load(rule_dirs)
    except signatures.RulesError as error:
        raise ScanError(f"rules: {error}") from error
    if index is True:
        index = default_path(root)
    store = Index.load(index or None)
    integrity = Integrity(root, network=network)
    # New rules, another release or another kind of checksum: everything is read again.
    mode = "sha256" if integrity.sha else "md5" if integrity.sums else "none"
    state = f"{sigs.fingerprint}:{integrity.version}:{mode}"
    report = Report()
    report.full = full or store.rules != state or not store.files or (
        full_every > 0 and store.audits % full_every == full_every - 1)
    if integrity.is_wordpress and integrity.sums is None:
        report.skipped.append(Skipped("wp-includes/version.php",
                                      f"no checksums for WordPress {integrity.version}: "
                                      "core integrity not checked"))
    hidden = Hidden(is_wordpress=integrity.is_wordpress, core_names=integrity.core_names,
                    now=now)

    items = list(walk(root))
    entries = [i for i in items if isinstance(i, Entry)]
    report.skipped += [i for i in items if isinstance(i, Skipped)]
    for number, entry in enumerate(entries, 1):
        rel, shown = entry.rel, display_path(entry.rel)
        cached = None if report.full else store.lookup(rel, entry.st)
        if cached is not None:
            store.keep(rel, cached)
            sha256, hits, md5 = cached[4], cached[5], cached[6] or None
        else:
            try:
                data = _read(entry)
            except OSError as error:
                report.skipped.append(Skipped(shown, f"unreadable: {error.strerror}"))
                continue
            report.bytes += len(data)
            try:
                found = sigs.scan(data)
            except signatures.ScanFailed as error:
                report.skipped.append(Skipped(shown, str(error)))
                continue  # not recorded: the next scan tries again
            sha256 = hashlib.sha256(data).hexdigest()
            md5 = md5_of(data) if integrity.needs_md5(rel) else None
            hits = [[h.rule, h.kind, h.severity, h.offset, h.evidence] for h in found]
            store.record(rel, entry.st, sha256, hits, md5 or "")
        report.files += 1
        for rule, kind, severity, offset, evidence in hits:
            report.findings.append(Finding(shown, kind, rule, severity, evidence, offset))
        report.findings += integrity.check(rel, md5, sha256)
        report.findings += hidden.check(rel, entry.st, utf8=entry.utf8_name,
                                        core=integrity.verified(rel, md5, sha256))
        if progress and (number % 200 == 0 or number == len(entries)):
            progress(number, len(entries), report.bytes)
    report.findings += vulns.check(root)
    if database:
        from xuala.wsa import database as db

        admins: list[str] = []
        try:
            report.findings += db.check_site(root, signatures=sigs, now=now,
                                             known_admins=known_admins, admins=admins)
            report.admins = admins
        except db.DatabaseError as error:
            report.skipped.append(Skipped("wp-config.php", f"database not inspected: {error}"))
    store.save(state)
    report.seconds = time.monotonic() - started
    return report
