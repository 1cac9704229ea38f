"""Walking a site's tree without trusting it.

Symlinks are never followed (a symlink inside the root is scanned at its target's own path;
one that leaves the root, loops or dangles is reported as skipped); device files, FIFOs and
sockets are skipped; huge and sparse files are not read; unreadable directories and files are
skipped with the reason; nesting deeper than `max_depth` is not entered. The walk is
iterative, so no tree can exhaust the interpreter's stack.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from xuala.wsa.findings import Skipped, display_path

MAX_DEPTH = 64
MAX_SIZE = 32 * 1024 * 1024
SPARSE_FLOOR = 64 * 1024


@dataclass(frozen=True)
class Entry:
    rel: str  # relative to the root, "/"-separated; may hold surrogate escapes
    path: str  # absolute
    st: os.stat_result

    @property
    def utf8_name(self) -> bool:
        try:
            self.rel.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True


def _inside(root: str, target: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "not a regular file"


def _symlink_reason(root: str, path: str) -> str | None:
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "symlink loop, not followed"
        return "dangling symlink"
    if not _inside(root, target):
        return "symlink out of the root, not followed"
    return None  # inside the root: its target is scanned at its own path


def walk(root: str, *, max_depth: int = MAX_DEPTH,
         max_size: int = MAX_SIZE) -> Iterator[Entry | Skipped]:
    """Yield an Entry for every regular file to read and a Skipped for everything else."""
    root = os.path.realpath(root)
    stack: list[tuple[str, str, int]] = [(root, "", 0)]
    while stack:
        folder, prefix, depth = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            yield Skipped(display_path(prefix.rstrip("/") or "."),
                          f"unreadable directory: {error.strerror}")
            continue
        subfolders = []
        for item in entries:
            rel = prefix + item.name
            try:
                st = item.stat(follow_symlinks=False)
            except OSError as error:
                yield Skipped(display_path(rel), f"cannot stat: {error.strerror}")
                continue
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                reason = _symlink_reason(root, item.path)
                if reason:
                    yield Skipped(display_path(rel), reason)
                continue
            if stat.S_ISDIR(mode):
                if depth + 1 > max_depth:
                    yield Skipped(display_path(rel), f"nested deeper than {max_depth} levels")
                else:
                    subfolders.append((item.path, rel + "/", depth + 1))
                continue
            if not stat.S_ISREG(mode):
                yield Skipped(display_path(rel), _kind(mode))
                continue
            if st.st_size > max_size:
                yield Skipped(display_path(rel), f"too large ({st.st_size} bytes), not read")
                continue
            if st.st_size >= SPARSE_FLOOR and st.st_blocks * 512 < st.st_size // 2:
                yield Skipped(display_path(rel), "sparse file, not read")
                continue
            yield Entry(rel, item.path, st)
        stack.extend(reversed(subfolders))
