"""YARA signatures: the project's rule set plus the operator's (XUALA_WSA_RULES), compiled once.

Rules are compiled by yara-x. Each rule's metadata names its `kind` and `severity` (an
operator's rule without them counts as malware of high severity) and a `description`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import yara_x

from xuala.wsa.findings import KINDS, SEVERITIES, excerpt

RULES_DIR = Path(__file__).resolve().parent / "rules"
RULE_SUFFIXES = (".yar", ".yara")
SCAN_TIMEOUT_SECONDS = 20


class RulesError(Exception):
    """A rule file could not be read or compiled."""


class ScanFailed(Exception):
    """The rules could not be run over this content (a timeout, an engine error)."""


@dataclass(frozen=True)
class Hit:
    rule: str
    kind: str
    severity: str
    description: str
    offset: int
    evidence: str


def operator_rule_dirs() -> list[Path]:
    value = os.environ.get("XUALA_WSA_RULES", "")
    return [Path(part) for part in value.split(os.pathsep) if part]


def rule_files(extra_dirs: list[Path] | None = None) -> list[Path]:
    files = sorted(p for p in RULES_DIR.iterdir() if p.suffix in RULE_SUFFIXES)
    for folder in [*operator_rule_dirs(), *(extra_dirs or [])]:
        if not folder.is_dir():
            raise RulesError(f"rule directory {folder} does not exist")
        files += sorted(p for p in folder.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
    return files


class Signatures:
    """Compiled rules and a scanner; one per process and rule set (see `load`)."""

    def __init__(self, files: list[Path]):
        compiler = yara_x.Compiler()
        digest = hashlib.sha256()
        for number, path in enumerate(files):
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise RulesError(f"cannot read {path}: {error}") from error
            digest.update(str(path).encode() + b"\0" + source.encode())
            # One namespace per file: operators' rule names may repeat ours.
            compiler.new_namespace(f"f{number}")
            try:
                compiler.add_source(source, origin=str(path))
            except yara_x.CompileError as error:
                raise RulesError(str(error)) from error
        self.rules = compiler.build()
        self.files = files
        self.fingerprint = digest.hexdigest()[:16]
        self._local = threading.local()

    def _scanner(self) -> yara_x.Scanner:
        scanner = getattr(self._local, "scanner", None)
        if scanner is None:
            scanner = yara_x.Scanner(self.rules)
            scanner.set_timeout(SCAN_TIMEOUT_SECONDS)
            scanner.max_matches_per_pattern(4)
            self._local.scanner = scanner
        return scanner

    def scan(self, data: bytes) -> list[Hit]:
        hits = []
        try:
            results = self._scanner().scan(data)
        except yara_x.TimeoutError as error:
            raise ScanFailed(f"signature scan timed out after {SCAN_TIMEOUT_SECONDS} s") from error
        except yara_x.ScanError as error:
            raise ScanFailed(f"signature scan failed: {error}") from error
        for rule in results.matching_rules:
            meta = dict(rule.metadata)
            kind = meta.get("kind") if meta.get("kind") in KINDS else "malware"
            severity = meta.get("severity") if meta.get("severity") in SEVERITIES else "high"
            first = None
            for pattern in rule.patterns:
                for match in pattern.matches:
                    if first is None or match.offset < first[0]:
                        first = (match.offset, match.length)
            offset, length = first or (0, 0)
            evidence = excerpt(data[offset:offset + min(length, 160)]) if length else \
                str(meta.get("description", rule.identifier))
            hits.append(Hit(rule.identifier, kind, severity, str(meta.get("description", "")),
                            offset, evidence))
        return hits


_cache: dict[tuple, Signatures] = {}
_cache_lock = threading.Lock()


def load(extra_dirs: list[Path] | None = None) -> Signatures:
    """The compiled rule set for these directories, compiled once per process."""
    files = rule_files(extra_dirs)
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = Signatures(files)
        return _cache[key]
