"""What a scan reports: findings and skipped paths, and where the WSA keeps its state."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

KINDS = ("malware", "integrity", "hidden", "vulnerability", "database", "suspicious")
SEVERITIES = ("critical", "high", "medium", "low")
SERIOUS = ("critical", "high")


@dataclass(frozen=True)
class Finding:
    path: str
    kind: str
    rule: str
    severity: str
    evidence: str
    offset: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def display_path(rel: str) -> str:
    """A relative path printable anywhere: bytes that are not UTF-8 shown as \\xNN escapes."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")
    return rel


def excerpt(data: bytes, limit: int = 120) -> str:
    text = data[:limit].decode("utf-8", "backslashreplace")
    text = " ".join(text.split())
    return text + ("…" if len(data) > limit else "")


def home() -> Path:
    """The WSA's state directory: checksums, vulnerability feed, indexes, quarantine."""
    configured = os.environ.get("XUALA_WSA_HOME")
    if configured:
        return Path(configured)
    data = os.environ.get("XUALA_DATA_DIR", "./var")
    return Path(data) / "wsa"
