"""Snapshots of a site's files, and the way back to them byte for byte.

How a snapshot is made
----------------------
A snapshot lives in a directory outside the document root (``area/label/files/`` mirrors the
tree) with a manifest: for every path its kind, mode, size, mtime (ns), inode, SHA-256 and
where its bytes are kept. Each regular file is kept one of two ways:

* **hard link** (``os.link``): no bytes are copied, so a 1 GB site is snapshotted in the time
  it takes to create its directory entries and hash what changed since the last run;
* **copy**, for the files the running site may rewrite *in place*: every file at the root
  (``wp-config.php``, ``.htaccess``, ``.user.ini``), every file directly in ``wp-content``
  (drop-ins such as ``advanced-cache.php``, ``debug.log``), any ``.htaccess``/``.user.ini``/
  ``*.log``, and any file modified in the last ``HOT_DAYS`` days (caches, generated CSS,
  logs: what the site writes, it has written recently). A file that cannot be linked (another
  filesystem, ``fs.protected_hardlinks``, too many links) is copied too.

Why this is safe
----------------
A hard link shares the inode with the site's file: a write *into* that file would change the
snapshot as well. So nothing this package does ever writes into an existing file:

* an update is unpacked into a staging directory and swapped in by ``rename`` (the old
  component's files are never opened for writing, only unlinked);
* a core update writes each new file beside its target and renames it over the old one;
* a rollback links (or copies) the kept bytes to a temporary name and renames it over.

What the *site itself* writes in place during the run is the exposure left: the files it
rewrites are the ones copied above. And the snapshot is **verified before a rollback**: each
kept file's size and mtime must still be the manifest's (an in-place write always moves the
mtime), and one that differs is hashed again; a file whose bytes no longer match the
manifest's SHA-256 is not restored from that link but reported by name (``unrestorable``),
so the run says exactly what it could not put back instead of claiming a clean rollback.

Incremental and cheap
---------------------
Within a run, each component gets its own snapshot taken just before it is touched, built on
the previous one: an entry whose file is unchanged (same inode, size, mtime and mode) is
reused with its hash, so only what the last component changed is linked or copied again.
Across runs, hashes are reused the same way, so the weekly snapshot of an unchanged site
hashes nothing. A restore touches only the paths that differ from the manifest.

The staging directories (``wp-content/upgrade/xuala-*``) are never part of a snapshot.
Owners are kept by links; a copied file put back belongs to the user running the node (the
site's owner). Sockets and FIFOs are ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
import time
from pathlib import Path

HOT_DAYS = 3
STAGING = "wp-content/upgrade/xuala-"
HOT_NAMES = (".htaccess", ".user.ini", "php.ini")
CHUNK = 1 << 20
# Manifest entries (lists, to keep the JSON small):
#   file:    ["f", mode, size, mtime_ns, inode, sha256, blob label, "link" | "copy"]
#   dir:     ["d", mode, mtime_ns]
#   symlink: ["l", target]
F, D, L = "f", "d", "l"


class SnapshotError(Exception):
    """A snapshot could not be made or read."""


def scan(root: Path) -> dict[str, tuple]:
    """rel -> (kind, mode, size, mtime_ns, inode, symlink target) for the whole tree, symlinks
    not followed, the staging directories left out."""
    found: dict[str, tuple] = {}
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            entries = list(os.scandir(root / rel_dir if rel_dir else root))
        except OSError as error:
            raise SnapshotError(f"cannot read {rel_dir or '.'}: {error.strerror}") from error
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if rel.startswith(STAGING):
                continue
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = (L, 0, 0, 0, st.st_ino, os.readlink(entry.path))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = (D, stat.S_IMODE(st.st_mode), 0, st.st_mtime_ns, st.st_ino, None)
                stack.append(rel)
            elif stat.S_ISREG(st.st_mode):
                found[rel] = (F, stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns,
                              st.st_ino, None)
    return found


def is_hot(rel: str, mtime_ns: int, now: float) -> bool:
    """Whether the running site may rewrite this file in place (so it is copied, not linked)."""
    parts = rel.split("/")
    if len(parts) == 1 or (parts[0] == "wp-content" and len(parts) == 2):
        return True
    name = parts[-1]
    if name in HOT_NAMES or name.endswith(".log"):
        return True
    return now - mtime_ns / 1e9 < HOT_DAYS * 86400


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_exact(source: Path, target: Path, mode: int, mtime_ns: int) -> str:
    """Copy ``source`` to a new file ``target`` (never an existing one), with the mode and
    mtime given; returns the SHA-256 of the bytes copied."""
    digest = hashlib.sha256()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with open(source, "rb", buffering=0) as reader, \
            os.fdopen(os.open(target, flags, 0o600), "wb", buffering=0) as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    os.chmod(target, mode)
    os.utime(target, ns=(mtime_ns, mtime_ns), follow_symlinks=False)
    return digest.hexdigest()


def blob_path(area: Path, rel: str, entry: list) -> str:
    return os.path.join(area, entry[6], "files", rel)


def manifest_path(area: Path, label: str) -> Path:
    return area / label / "files.json"


def load(area: Path, label: str) -> dict[str, list]:
    try:
        return json.loads(manifest_path(area, label).read_text())["entries"]
    except (OSError, ValueError, KeyError) as error:
        raise SnapshotError(f"the snapshot {label} has no readable manifest") from error


def hash_hints(manifest: dict[str, list] | None) -> dict[tuple, str]:
    """(inode, size, mtime_ns) -> sha256 from an earlier manifest, to skip hashing again."""
    return {(e[4], e[2], e[3]): e[5] for e in (manifest or {}).values() if e[0] == F}


class _Taker:
    def __init__(self, root: Path, area: Path, label: str, now: float):
        self.root, self.area, self.label, self.now = root, area, label, now
        self.base = area / label / "files"
        self.made: set[str] = set()
        self.stats = {"files": 0, "bytes": 0, "copied": 0, "linked": 0, "stored_bytes": 0}

    def _parent(self, rel: str) -> Path:
        target = self.base / rel
        parent = rel.rpartition("/")[0]
        if parent not in self.made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(parent)
        return target

    def keep(self, rel: str, info: tuple, hints: dict) -> list:
        """Link or copy one file into the snapshot; its manifest entry."""
        _kind, mode, size, mtime, ino, _ = info
        source = self.root / rel
        target = self._parent(rel)
        for attempt in range(3):
            if attempt:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
            how = "copy" if is_hot(rel, mtime, self.now) else "link"
            sha = None
            if how == "link":
                try:
                    os.link(source, target, follow_symlinks=False)
                    sha = hints.get((ino, size, mtime)) or sha256_of(target)
                except OSError:
                    how = "copy"
            if how == "copy":
                sha = copy_exact(source, target, mode, mtime)
            now_st = os.lstat(source)
            if (now_st.st_size, now_st.st_mtime_ns, now_st.st_ino) == (size, mtime, ino):
                self.stats["copied" if how == "copy" else "linked"] += 1
                if how == "copy":
                    self.stats["stored_bytes"] += size
                return [F, mode, size, mtime, ino, sha, self.label, how]
            # It changed while we read it: take its new state.
            size, mtime, ino = now_st.st_size, now_st.st_mtime_ns, now_st.st_ino
            mode = stat.S_IMODE(now_st.st_mode)
        raise SnapshotError(f"{rel} keeps changing; cannot snapshot it")


def take(root: Path, area: Path, label: str, *, previous: dict[str, list] | None = None,
         hints: dict[tuple, str] | None = None, now: float | None = None) -> tuple[dict, dict]:
    """Snapshot ``root`` into ``area/label``: (manifest, figures). Entries of ``previous``
    whose file is unchanged are reused as they are (their bytes stay where they were kept)."""
    now = time.time() if now is None else now
    previous = previous or {}
    hints = {**hash_hints(previous), **(hints or {})}
    taker = _Taker(root, area, label, now)
    taker.base.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, list] = {}
    try:
        for rel, info in sorted(scan(root).items()):
            kind, mode, size, mtime, ino, target = info
            if kind == D:
                manifest[rel] = [D, mode, mtime]
            elif kind == L:
                manifest[rel] = [L, target]
            else:
                before = previous.get(rel)
                if before and before[0] == F and before[1:5] == [mode, size, mtime, ino]:
                    manifest[rel] = before
                else:
                    manifest[rel] = taker.keep(rel, info, hints)
                taker.stats["files"] += 1
                taker.stats["bytes"] += size
    except OSError as error:
        raise SnapshotError(f"snapshot failed: {error}") from error
    write_json(manifest_path(area, label), {"label": label, "entries": manifest})
    return manifest, taker.stats


def write_json(path: Path, body: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as out:
        json.dump(body, out, separators=(",", ":"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _unchanged(current: tuple | None, entry: list) -> bool:
    if current is None or current[0] != entry[0]:
        return False
    if entry[0] == L:
        return current[5] == entry[1]
    if entry[0] == D:
        return current[1] == entry[1]
    same = list(current[1:4]) == entry[1:4]
    return same and (current[4] == entry[4] or entry[7] == "copy")


def verify(area: Path, manifest: dict[str, list], rels=None) -> list[str]:
    """The paths whose kept bytes no longer match the manifest (checked by size and mtime,
    then by SHA-256 when those moved)."""
    bad = []
    for rel in manifest if rels is None else rels:
        entry = manifest[rel]
        if entry[0] != F:
            continue
        blob = blob_path(area, rel, entry)
        try:
            st = os.lstat(blob)
        except OSError:
            bad.append(rel)
            continue
        moved = (st.st_size, st.st_mtime_ns) != (entry[2], entry[3])
        if moved and (st.st_size != entry[2] or sha256_of(blob) != entry[5]):
            bad.append(rel)
    return bad


def _remove(path: Path, kind: str) -> None:
    if kind == D:
        shutil.rmtree(path)
    else:
        path.unlink()


def _put(area: Path, root: Path, rel: str, entry: list) -> None:
    """Put one kept file back: a new file beside the target, renamed over it."""
    target = root / rel
    temporary = target.with_name(f".xuala-restore-{secrets.token_hex(6)}")
    blob = blob_path(area, rel, entry)
    try:
        if entry[7] == "link":
            try:
                os.link(blob, temporary, follow_symlinks=False)
                # A chmod or touch through the site's link moved the shared inode's too.
                os.chmod(temporary, entry[1])
                os.utime(temporary, ns=(entry[3], entry[3]), follow_symlinks=False)
            except OSError:
                temporary.unlink(missing_ok=True)
                copy_exact(blob, temporary, entry[1], entry[3])
        else:
            copy_exact(blob, temporary, entry[1], entry[3])
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def restore(root: Path, area: Path, manifest: dict[str, list]) -> dict:
    """Make the tree under ``root`` what ``manifest`` says, touching only what differs.

    Returns {"restored", "removed", "unrestorable": [paths]}. Kept bytes are verified before
    anything is changed; a path whose bytes cannot be verified is left as it is and listed.
    """
    current = scan(root)
    todo = [rel for rel, entry in manifest.items() if not _unchanged(current.get(rel), entry)]
    unrestorable = set(verify(area, manifest, todo))
    removed = restored = 0
    for rel in sorted(current, reverse=True):
        entry = manifest.get(rel)
        gone = entry is None or (entry[0] != current[rel][0] and rel not in unrestorable)
        if gone and os.path.lexists(root / rel):
            _remove(root / rel, current[rel][0])
            removed += 1
    for rel in sorted(todo):
        entry = manifest[rel]
        if rel in unrestorable:
            continue
        target = root / rel
        if entry[0] == D:
            target.mkdir(exist_ok=True)
            os.chmod(target, entry[1])
        elif entry[0] == L:
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            os.symlink(entry[1], target)
        else:
            _put(area, root, rel, entry)
        restored += 1
    for rel, entry in sorted(manifest.items(), reverse=True):  # deepest first
        if entry[0] == D and rel not in unrestorable:
            with contextlib.suppress(OSError):
                os.utime(root / rel, ns=(entry[2], entry[2]), follow_symlinks=False)
    return {"restored": restored, "removed": removed, "unrestorable": sorted(unrestorable)}


def stored_bytes(area: Path) -> int:
    """Bytes the snapshots in ``area`` hold on their own (hard links shared with the site
    are not counted)."""
    total = 0
    for folder, _dirs, names in os.walk(area):
        for name in names:
            st = os.lstat(os.path.join(folder, name))
            if stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
                total += st.st_size
    return total
