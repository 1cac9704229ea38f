"""Quarantine: move a file into a store with everything needed to put it back byte for byte.

Each item is a directory `<store>/<ID>/` holding `content` (the bytes, mode 0600) and
`record.json`: the original path, owner and group, mode, access and modification times
(nanoseconds), extended attributes (base64), size, SHA-256, when and why. `restore` writes
the bytes back beside the original path, sets owner, mode, xattrs and times, checks the
SHA-256, and links the file into place without overwriting anything there.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import time
from pathlib import Path

from xuala.wsa.findings import home

ID_RE = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9a-f]{8}")


class QuarantineError(OSError):
    pass


def default_store() -> Path:
    return home() / "quarantine"


def _xattrs(handle: int) -> dict[str, str]:
    try:
        names = os.listxattr(handle)
    except OSError:
        return {}
    return {name: base64.b64encode(os.getxattr(handle, name)).decode() for name in names}


def quarantine_file(path: str | Path, *, store: Path | None = None, reason: str = "",
                    now: float | None = None) -> dict:
    """Move `path` (a regular file, not followed if a symlink) into the store."""
    store = store or default_store()
    path = Path(os.path.abspath(path))
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        handle = os.open(path, flags)
    except OSError as error:
        raise QuarantineError(error.errno, f"cannot open {path}: {error.strerror}") from error
    try:
        st = os.fstat(handle)
        if not stat.S_ISREG(st.st_mode):
            raise QuarantineError(0, f"{path} is not a regular file")
        chunks = []
        while chunk := os.read(handle, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
        xattrs = _xattrs(handle)
    finally:
        os.close(handle)
    when = time.time() if now is None else now
    item_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(when)) + "-" + secrets.token_hex(4)
    folder = store / item_id
    folder.mkdir(parents=True, mode=0o700)
    content = folder / "content"
    with open(os.open(content, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(data)
    record = {
        "id": item_id, "path": str(path), "uid": st.st_uid, "gid": st.st_gid,
        "mode": stat.S_IMODE(st.st_mode), "atime_ns": st.st_atime_ns,
        "mtime_ns": st.st_mtime_ns, "xattrs": xattrs, "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(), "quarantined_at": when, "reason": reason,
    }
    (folder / "record.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.unlink(path)
    return record


def items(store: Path | None = None) -> list[dict]:
    store = store or default_store()
    if not store.is_dir():
        return []
    return [json.loads((p / "record.json").read_text(encoding="utf-8"))
            for p in sorted(store.iterdir()) if (p / "record.json").is_file()]


def restore(item_id: str, *, store: Path | None = None) -> dict:
    """Put the item back where it was, byte for byte, with its metadata; then drop it."""
    if not ID_RE.fullmatch(item_id):
        raise QuarantineError(0, f"not a quarantine id: {item_id!r}")
    store = store or default_store()
    folder = store / item_id
    try:
        record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        data = (folder / "content").read_bytes()
    except FileNotFoundError as error:
        raise QuarantineError(error.errno, f"no quarantined item {item_id}") from error
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise QuarantineError(0, f"item {item_id} is damaged (SHA-256 differs)")
    target = Path(record["path"])
    if os.path.lexists(target):
        raise QuarantineError(0, f"{target} exists; not overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.wsa-restore-{secrets.token_hex(4)}")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
        for name, value in record["xattrs"].items():
            os.setxattr(handle, name, base64.b64decode(value))
        # Not ours to give away without root: mode, times and content are still exact.
        with contextlib.suppress(PermissionError):
            os.fchown(handle, record["uid"], record["gid"])
        os.fchmod(handle, record["mode"])
        os.fsync(handle)
        os.utime(handle, ns=(record["atime_ns"], record["mtime_ns"]))
    finally:
        os.close(handle)
    try:
        os.link(temporary, target)  # fails rather than overwrite a file that appeared
    finally:
        os.unlink(temporary)
    shutil.rmtree(folder)
    return record
