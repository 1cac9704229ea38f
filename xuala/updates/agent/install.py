"""Putting a new version in place without ever writing into an existing file.

A plugin or theme archive is unpacked into a staging folder on the site's own filesystem
(``wp-content/upgrade/xuala-…``) and exchanged with the installed folder in one atomic
``renameat2(RENAME_EXCHANGE)`` (two renames where the kernel has no exchange); the old
folder, now in staging, is then unlinked. A core archive's files are each written beside
their target and renamed over it (``wp-includes/version.php`` last, so a half-done update
never claims the new version), the release's own list of obsolete files (``$_old_files`` in
its ``wp-admin/includes/update-core.php``) is removed, and ``.maintenance`` is up meanwhile,
as WordPress's own updater does. ``wp-content`` of a core archive is left out.

Archives are checked before anything is unpacked: no absolute paths, no ``..``, no links,
at most ``MAX_UNPACKED`` bytes. Unpacked files get the current time (not the archive's), so
the web server's OPcache sees them change.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import shutil
import stat
import time
import zipfile
from pathlib import Path

from xuala.wsa.integrity import installed_version
from xuala.wsa.vulns import HEADER_RE, PLUGIN_RE

MAX_UNPACKED = 2 << 30
OLD_FILES_RE = re.compile(r"\$_old_files\s*=\s*array\s*\((.*?)\);", re.S)
QUOTED_RE = re.compile(r"'([^'\\]*)'")
CORE_FOLDERS = ("wp-admin/", "wp-includes/")


class InstallError(Exception):
    """The archive is unusable or the new version cannot be put in place."""


def unpack(archive: Path, into: Path) -> Path:
    """Unpack ``archive`` into the new folder ``into``; the component's folder inside it
    (the archive's only top folder, or ``into`` itself)."""
    try:
        with zipfile.ZipFile(archive) as package:
            members = package.infolist()
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise InstallError(f"{archive.name} unpacks to more than {MAX_UNPACKED >> 30} GB")
            into.mkdir(parents=True)
            for member in members:
                _unpack_one(package, member, into)
    except (OSError, zipfile.BadZipFile) as error:
        raise InstallError(f"cannot unpack {archive.name}: {error}") from error
    tops = [p for p in into.iterdir() if p.name != "__MACOSX"]
    return tops[0] if len(tops) == 1 and tops[0].is_dir() else into


def _unpack_one(package: zipfile.ZipFile, member: zipfile.ZipInfo, into: Path) -> None:
    name = member.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or "\x00" in name or ":" in parts[0]:
        raise InstallError(f"the archive holds a path outside its folder: {name!r}")
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise InstallError(f"the archive holds a link: {name!r}")
    target = into.joinpath(*[p for p in parts if p])
    if member.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with package.open(member) as reader, os.fdopen(os.open(target, flags, 0o600), "wb") as out:
        shutil.copyfileobj(reader, out, 1 << 20)
    # The archive's dates are not kept: a new mtime is what tells PHP's OPcache (which
    # compares timestamps) that the file changed, as WordPress's own unzip does.
    os.chmod(target, 0o755 if mode & 0o111 else 0o644)


def version_of(kind: str, folder: Path) -> str | None:
    """The version an unpacked plugin, theme or core says it is."""
    if kind == "core":
        return installed_version(folder)
    candidates = [folder / "style.css"] if kind == "theme" else sorted(folder.glob("*.php"))
    for path in candidates:
        try:
            with open(path, "rb") as handle:
                head = handle.read(8192)
        except OSError:
            continue
        if kind == "plugin" and not PLUGIN_RE.search(head):
            continue
        match = HEADER_RE.search(head)
        if match:
            return match.group(1).decode()
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the kernel cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target``; the old folder (if any) is deleted. The old
    files are only unlinked, never written, so a hard-link snapshot of them stays intact."""
    if not target.exists():
        os.rename(new, target)
        return
    if not _exchange(new, target):
        aside = target.with_name(f".xuala-old-{target.name}-{secrets.token_hex(4)}")
        os.rename(target, aside)
        os.rename(new, target)
        new = aside
    shutil.rmtree(new)


def staging(root: Path, name: str) -> Path:
    """A fresh staging folder on the site's filesystem, outside the snapshots."""
    folder = root / "wp-content" / "upgrade" / f"xuala-{name}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def put_component(root: Path, kind: str, slug: str, archive: Path, stage: Path,
                  main_file: str = "") -> str:
    """Install a plugin or theme archive as ``wp-content/{plugins,themes}/<slug>``; returns
    the version it says it is. ``main_file`` (a plugin's ``slug/file.php``) must be in it,
    or WordPress would deactivate the plugin."""
    folder = unpack(archive, stage / "unpacked")
    version = version_of(kind, folder)
    if version is None:
        raise InstallError(f"the archive holds no {kind} with a version header")
    if main_file and not (folder / main_file.partition("/")[2]).is_file():
        raise InstallError(f"the new version has no {main_file}; WordPress would deactivate it")
    target = root / "wp-content" / ("plugins" if kind == "plugin" else "themes") / slug
    target.parent.mkdir(parents=True, exist_ok=True)
    swap_in(folder, target)
    return version


def maintenance(root: Path, on: bool) -> None:
    """WordPress's own maintenance switch (``.maintenance`` at the root)."""
    path = root / ".maintenance"
    if on:
        _write_new(path, f"<?php $upgrading = {int(time.time())}; ?>".encode(), 0o644)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _write_new(target: Path, data: bytes | None, mode: int, source: Path | None = None) -> None:
    temporary = target.with_name(f".xuala-new-{secrets.token_hex(6)}")
    try:
        if source is not None:
            shutil.copyfile(source, temporary)
        else:
            temporary.write_bytes(data or b"")
        os.chmod(temporary, mode)
        if source is not None:
            st = os.stat(source)
            os.utime(temporary, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def old_files(folder: Path) -> list[str]:
    """The release's list of files to delete from older versions, as its update-core.php
    gives it (only paths inside wp-admin/ and wp-includes/ are kept)."""
    try:
        text = (folder / "wp-admin" / "includes" / "update-core.php").read_text(errors="replace")
    except OSError:
        return []
    match = OLD_FILES_RE.search(text)
    if not match:
        return []
    return [p for p in QUOTED_RE.findall(match.group(1))
            if p.startswith(CORE_FOLDERS) and ".." not in p.split("/")]


def put_core(root: Path, archive: Path, stage: Path) -> dict:
    """Install a core archive's files (not its wp-content) over the site's; returns
    {"version", "written", "removed"}."""
    folder = unpack(archive, stage / "unpacked")
    version = installed_version(folder)
    if version is None or not (folder / "wp-admin").is_dir():
        raise InstallError("the archive holds no WordPress core")
    written = 0
    last = []
    for current, dirs, names in os.walk(folder):
        rel_dir = os.path.relpath(current, folder)
        rel_dir = "" if rel_dir == "." else rel_dir
        if rel_dir == "" and "wp-content" in dirs:
            dirs.remove("wp-content")
        (root / rel_dir).mkdir(parents=True, exist_ok=True)
        for name in names:
            rel = os.path.join(rel_dir, name)
            if rel == "wp-includes/version.php":
                last.append(rel)
                continue
            _write_new(root / rel, None, os.stat(os.path.join(current, name)).st_mode & 0o777,
                       source=Path(current, name))
            written += 1
    removed = []
    for rel in old_files(folder):
        path = root / rel
        if path.is_symlink() or path.is_file():
            path.unlink()
            removed.append(rel)
        elif path.is_dir():
            shutil.rmtree(path)
            removed.append(rel)
    for rel in last:
        _write_new(root / rel, None, 0o644, source=folder / rel)
        written += 1
    return {"version": version, "written": written, "removed": removed}
