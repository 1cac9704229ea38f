"""The per-site index: what each file looked like when it was last read, and what it held.

A file whose size, mtime, ctime and inode are unchanged since the last scan is not read
again; its content hash and signature hits come from here. Each entry is
[size, mtime_ns, ctime_ns, inode, sha256, hits, md5] (md5 only for WordPress core files,
whose official checksums are MD5). The index also counts audits, so that every
Nth one (and `--full`) reads everything again, and records the rule set's fingerprint: new
rules mean a full scan.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from xuala.wsa.findings import home

VERSION = 2


def default_path(root: str) -> Path:
    key = hashlib.sha256(os.path.realpath(root).encode("utf-8", "surrogateescape")).hexdigest()
    return home() / "index" / f"{key[:32]}.json"


class Index:
    def __init__(self, path: Path | None, data: dict | None = None):
        self.path = path
        data = data or {}
        self.rules = data.get("rules", "")
        self.audits = int(data.get("audits", 0))
        self.files: dict[str, list] = data.get("files", {})
        self.fresh: dict[str, list] = {}

    @classmethod
    def load(cls, path: Path | None) -> Index:
        if path is None or not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)  # a damaged index only costs a full read
        if data.get("version") != VERSION:
            return cls(path)
        return cls(path, data)

    def lookup(self, rel: str, st: os.stat_result) -> list | None:
        entry = self.files.get(rel)
        if entry and entry[:4] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]:
            return entry
        return None

    def record(self, rel: str, st: os.stat_result, sha256: str, hits: list, md5: str) -> None:
        self.fresh[rel] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha256, hits,
                           md5]

    def keep(self, rel: str, entry: list) -> None:
        self.fresh[rel] = entry

    def save(self, rules: str) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"version": VERSION, "rules": rules, "audits": self.audits + 1,
                "files": self.fresh}
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".index-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(body, separators=(",", ":")))  # the C encoder: fast
        os.replace(temporary, self.path)
