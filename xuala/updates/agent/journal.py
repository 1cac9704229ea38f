"""Where a site's runs keep their state on the node, and the journal that lets a run killed
half-way be resumed or rolled back when the job is run again.

``XUALA_UPDATES_HOME`` (default ``$XUALA_DATA_DIR/updates``, i.e. ``var/updates``) holds one
folder per site (named from the document root): ``lock`` (one run per site at a time, an
``flock`` the kernel drops when the process dies), ``runs/<run>/journal.json`` (every step,
written atomically before and after it is taken), the run's pictures and downloads.

Snapshots must sit on the site's filesystem for hard links to work, and outside its document
root: under the home when it is on the same filesystem, else in ``.xuala-snapshots/`` beside
the document root (its parent folder), else (neither writable) under the home, copied.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from xuala.updates.agent.files import write_json


class Busy(Exception):
    """Another run holds the site's lock."""


def home() -> Path:
    configured = os.environ.get("XUALA_UPDATES_HOME")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XUALA_DATA_DIR", "./var")) / "updates"


def site_key(root: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", root.name or "root")[:40]
    return f"{name}-{hashlib.sha256(str(root).encode()).hexdigest()[:12]}"


class SiteState:
    def __init__(self, root: Path, base: Path | None = None):
        self.root = root
        self.folder = (base or home()) / "sites" / site_key(root)
        self._lock = None

    @contextlib.contextmanager
    def locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / "lock", "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise Busy("another update run is working on this site") from error
            raise
        try:
            yield self
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def run_folder(self, run: str) -> Path:
        folder = self.folder / "runs" / run
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def snapshot_area(self, run: str) -> Path:
        """The run's snapshot folder: on the site's filesystem, outside the document root."""
        site_dev = os.stat(self.root).st_dev
        candidates = [self.folder / "snapshots", self.root.parent / ".xuala-snapshots"
                      / site_key(self.root)]
        for base in candidates:
            with contextlib.suppress(OSError):
                base.mkdir(parents=True, exist_ok=True)
                if os.stat(base).st_dev == site_dev:
                    return base / run
        return candidates[0] / run

    def snapshot_bases(self) -> list[Path]:
        return [self.folder / "snapshots", self.root.parent / ".xuala-snapshots"
                / site_key(self.root)]

    def prune(self, keep_snapshots: int, keep_runs: int = 10) -> list[str]:
        """Delete the snapshots of all but the newest ``keep_snapshots`` finished runs, and
        the journals of all but the newest ``keep_runs``; the names deleted."""
        deleted = []
        finished = sorted(self._finished(), key=_run_order, reverse=True)
        for base in self.snapshot_bases():
            if not base.is_dir():
                continue
            for folder in base.iterdir():
                if folder.name in finished[keep_snapshots:]:
                    shutil.rmtree(folder, ignore_errors=True)
                    deleted.append(f"snapshot {folder.name}")
        for name in finished[max(keep_runs, keep_snapshots):]:
            shutil.rmtree(self.folder / "runs" / name, ignore_errors=True)
            deleted.append(f"run {name}")
        return deleted

    def _finished(self) -> list[str]:
        runs = self.folder / "runs"
        if not runs.is_dir():
            return []
        return [p.name for p in runs.iterdir() if (p / "result.json").is_file()]


def _run_order(name: str) -> tuple:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


class Journal:
    """The run's record of what it has done, saved after every step."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / "journal.json"
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {"log": [], "components": None, "attempts": 0}
        self.data["attempts"] = self.data.get("attempts", 0) + 1

    def __getitem__(self, key):
        return self.data.get(key)

    def __setitem__(self, key, value) -> None:
        self.data[key] = value
        self.save()

    def save(self) -> None:
        write_json(self.path, self.data)

    def log(self, line: str) -> None:
        self.data.setdefault("log", []).append(line)
        self.save()

    def result(self) -> dict | None:
        try:
            return json.loads((self.folder / "result.json").read_text())
        except (OSError, ValueError):
            return None

    def finish(self, result: dict) -> None:
        write_json(self.folder / "result.json", result)
