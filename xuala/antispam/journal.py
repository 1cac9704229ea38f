"""The journal of verdict rows not yet in the database: nothing answered is lost to a crash.

A served process answers a `comment-check` before its row reaches the database (live.py
writes the rows in batches). Before answering, the row is appended to this process's
journal segment: one `write()` of one JSON line to a file in
`DATA_DIR/antispam-journal/`, which the kernel keeps even if the process is killed the
next instant (SIGKILL, an out-of-memory kill, a crash in C). Power loss is another
matter: the lines are not synced to the disk, by choice (a sync per check would cost
more than the check).

Each segment is held with an exclusive `flock` by the process writing it. When the
batch writer takes the waiting rows it seals the segment (the next row opens a new one);
once those rows are committed the sealed segments are deleted. A segment whose lock can
be taken belongs to a dead process: `recover()` stores the rows of such a segment that
are not in the database yet (by guid) and deletes it. Served processes run it when they
start, and the anti-spam sweep (`xuala engine antispam`) runs it every pass.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

# The columns a journal line carries, after the check's time (ISO 8601).
FIELDS = ("site_id", "spam", "certain", "score", "reasons", "comment_type", "author", "email",
          "url", "content", "user_ip", "user_agent", "fingerprint", "guid", "is_test")
SUFFIX = ".jsonl"
_numbers = itertools.count(1)  # segment names are unique in a process, whatever the journal


def encode(row) -> bytes:
    """A verdict row (`Check`) as one journal line."""
    values = [row.at.isoformat(), *(getattr(row, name) for name in FIELDS)]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict | None:
    """A journal line's fields (`at` and FIELDS), or None for a line that is not whole."""
    try:
        values = json.loads(line)
        at = datetime.fromisoformat(values[0])
    except (ValueError, TypeError, IndexError):
        return None
    if len(values) != len(FIELDS) + 1:
        return None
    return {"at": at, **dict(zip(FIELDS, values[1:], strict=True))}


class Journal:
    """This process's journal segments: the open one, and the sealed ones not yet stored."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid = 0
        self.current: tuple[Path, int] | None = None
        self.sealed: list[tuple[Path, int]] = []

    def append(self, line: bytes) -> None:
        """Adds one row to the open segment (opened, and locked, on the first row)."""
        if self.pid != os.getpid():  # a forked child writes its own segments
            self.pid, self.current, self.sealed = os.getpid(), None, []
        if self.current is None:
            self.current = self._open()
        os.write(self.current[1], line)

    def _open(self) -> tuple[Path, int]:
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{socket.gethostname()}-{os.getpid()}-{next(_numbers)}{SUFFIX}"
            path = self.folder / name
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
                             | os.O_CLOEXEC, 0o600)
            except FileExistsError:  # left by a dead process with the same pid: recover() takes it
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)  # new and ours alone: never waits
            return path, fd

    def seal(self) -> None:
        """The rows written so far are being stored: the next row opens a new segment."""
        if self.current is not None and self.pid == os.getpid():
            self.sealed.append(self.current)
        self.current = None

    def stored(self) -> None:
        """Every sealed segment's rows are in the database: delete the segments."""
        if self.pid != os.getpid():
            return
        sealed, self.sealed = self.sealed, []
        for path, fd in sealed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            os.close(fd)


    def close(self) -> None:
        """Lets go of the segments without deleting them (their rows are not stored yet:
        `recover()` will take them)."""
        if self.pid == os.getpid():
            for _path, fd in [*self.sealed, *([self.current] if self.current else [])]:
                os.close(fd)
        self.current, self.sealed = None, []


def recover(folder: Path, store: Callable[[list[dict]], int]) -> int:
    """Stores the rows of the segments of dead processes with `store` (which must skip rows
    already stored) and deletes the segments; how many rows `store` wrote."""
    if not folder.is_dir():
        return 0
    written = 0
    for path in sorted(folder.glob("*" + SUFFIX)):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive and still writing it
            if os.fstat(fd).st_nlink == 0:
                continue  # another process recovered it first
            with os.fdopen(os.dup(fd), "rb") as segment:
                rows = list(_rows(segment, path))
            if rows:
                written += store(rows)
            path.unlink()
            log.warning("antispam: %d verdict rows recovered from %s", len(rows), path.name)
        finally:
            os.close(fd)
    return written


def _rows(lines: Iterable[bytes], path: Path):
    for number, line in enumerate(lines, 1):
        row = decode(line)
        if row is None:
            log.error("antispam: line %d of %s is not a whole row; left out", number, path)
            continue
        yield row
