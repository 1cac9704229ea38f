"""The pristine-copy store: the release's own core files, from which disinfection puts a
modified core file back (`wsa.core_replace`).

`<WSA home>/pristine/<version>/<path>` holds only files whose MD5 matches the checksum store
(`integrity.stored`): whatever the source (the official download, a mirror, a local release
archive or a tree such as Debian's /usr/share/wordpress), a file is accepted only when it is
the release's file, and the others are reported. Each file is written atomically, so an
import that stops half-way leaves the store as it was plus the files already checked; a
file already in the store stays unless the new one is checked too.

Pure: no Django. The node runs it where its sites are, with its own WSA home.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from xuala.wsa import integrity
from xuala.wsa.findings import home

RELEASES = "https://downloads.wordpress.org/release/"
MAX_DOWNLOAD = 256 * 1024 * 1024  # a release zip is about 25 MB
VERSION_RE = re.compile(r"[0-9][0-9A-Za-z.\-]*")


class PristineError(ValueError):
    """An import that cannot be done; the store is left as it was."""


@dataclass
class Imported:
    version: str
    source: str
    stored: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)  # in the source, not the release's bytes
    missing: list[str] = field(default_factory=list)  # in the release, not in the source


def store_dir(version: str) -> Path:
    if not VERSION_RE.fullmatch(version):
        raise PristineError(f"not a WordPress version: {version!r}")
    return home() / "pristine" / version


def release_url(version: str) -> str:
    """Where the release zip is downloaded from: ``XUALA_WSA_RELEASES_URL`` (a mirror's base
    URL, or a URL with ``{version}`` in it) or downloads.wordpress.org."""
    base = os.environ.get("XUALA_WSA_RELEASES_URL") or RELEASES
    if "{version}" in base:
        return base.format(version=version)
    return base.rstrip("/") + f"/wordpress-{version}.zip"


def _safe_rel(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and "\x00" not in rel and \
        ".." not in parts and "" not in parts and "\\" not in rel


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def fill_from_tree(root: Path, version: str, sums: dict[str, str], *,
                   source: str) -> Imported:
    """Copy into the store each file of the release (``sums``) whose bytes in ``root`` match."""
    found = integrity.installed_version(root)
    if found != version:
        raise PristineError(f"{source} is WordPress {found or '(no version.php)'}, "
                            f"not {version}")
    out = Imported(version=version, source=source)
    store = store_dir(version)
    for rel, expected in sorted(sums.items()):
        if not _safe_rel(rel):
            continue
        path = root / rel
        try:
            data = path.read_bytes()
        except OSError:  # absent, a directory, unreadable
            out.missing.append(rel)
            continue
        if integrity.md5_of(data) != expected.lower():
            out.differ.append(rel)
            continue
        target = store / rel
        if not (target.is_file() and target.read_bytes() == data):
            _write(target, data)
        out.stored.append(rel)
    return out


def _checksums(version: str, *, network: bool) -> dict[str, str]:
    sums = integrity.stored(version) or (integrity.fetch(version) if network else None)
    if not sums:
        raise PristineError(
            f"no checksums for WordPress {version} to check the files against: run "
            f"`xuala wsa checksums import` with the official release, or allow the network "
            f"(api.wordpress.org)")
    return sums


def download(url: str, into: Path, *, timeout: float = 30.0) -> Path:
    """Fetch ``url`` (http or https) into ``into``; at most MAX_DOWNLOAD bytes."""
    if not url.startswith(("https://", "http://")):
        raise PristineError(f"not an http(s) URL: {url}")
    target = into / "release.zip"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer, \
                open(target, "wb") as out:  # noqa: S310 (http(s) only, checked above)
            read = 0
            while chunk := answer.read(1024 * 1024):
                read += len(chunk)
                if read > MAX_DOWNLOAD:
                    raise PristineError(f"{url} is larger than {MAX_DOWNLOAD} bytes")
                out.write(chunk)
    except OSError as error:
        raise PristineError(f"cannot download {url}: {error}") from error
    return target


def pristine_import(version: str, source: str | None = None, *,
                    network: bool = True) -> Imported:
    """Fill the store for ``version`` from ``source``: a directory, a release archive
    (.zip/.tar.gz) or an http(s) URL; by default the official download (or the mirror in
    XUALA_WSA_RELEASES_URL). Every file is checked against the checksum store first."""
    network = network and not os.environ.get("XUALA_WSA_OFFLINE")
    store_dir(version)  # the version is checked before anything is fetched
    url = release_url(version) if source is None else source
    if not url.startswith(("https://", "http://")):
        sums = _checksums(version, network=network)
        with integrity.release_tree(url) as root:
            return fill_from_tree(root, version, sums, source=url)
    if not network:
        raise PristineError(f"offline: {url} not fetched; name a local release archive or "
                            "tree with --from")
    sums = _checksums(version, network=network)
    with tempfile.TemporaryDirectory(prefix="xuala-pristine-") as scratch:
        archive = download(url, Path(scratch))
        with integrity.release_tree(archive) as root:
            return fill_from_tree(root, version, sums, source=url)


def keep(root: Path, version: str, sums: dict[str, str]) -> Imported:
    """For ``xuala wsa checksums import``: its source is the release itself, so its files
    (those the checksums were just taken from) are kept in the store too."""
    return fill_from_tree(root, version, sums, source=str(root))


def pristine_file(version: str, rel: str) -> bytes | None:
    """The release's own bytes of ``rel``: from the store, or from a tree named in
    ``XUALA_WSA_PRISTINE`` (colon-separated) whose version.php says ``version``; always
    checked against the stored checksums. None when no checked copy is at hand."""
    sums = integrity.stored(version) or {}
    expected = sums.get(rel)
    if expected is None or not _safe_rel(rel):
        return None
    candidates = [store_dir(version) / rel]
    for tree in os.environ.get("XUALA_WSA_PRISTINE", "").split(":"):
        if tree and integrity.installed_version(tree) == version:
            candidates.append(Path(tree) / rel)
    for candidate in candidates:
        if candidate.is_file():
            data = candidate.read_bytes()
            if integrity.md5_of(data) == expected.lower():
                return data
    return None

