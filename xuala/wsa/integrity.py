"""WordPress core integrity: files compared with the checksums of the installed version.

Checksums live in the local store (`<home>/checksums/<version>.json`, {path: md5}), filled by
`xuala wsa checksums import ARCHIVE_OR_DIR` from an official release archive or a pristine
tree, or fetched from api.wordpress.org when the network allows (XUALA_WSA_OFFLINE=1 stops
that).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from xuala.wsa.findings import Finding, home

VERSION_RE = re.compile(rb"\$wp_version\s*=\s*['\"]([0-9][0-9A-Za-z.\-]*)['\"]")
CORE_DIRS = ("wp-admin/", "wp-includes/")
PHP_SUFFIXES = (".php", ".phtml", ".php3", ".php4", ".php5", ".php7", ".phar", ".pht", ".phps")
# Each site's own: a tree's copy (Debian links /etc/wordpress/htaccess there) is no release
# file, and putting it back over a site's would undo the site's configuration.
NOT_CHECKED = ("wp-config.php", ".htaccess", ".user.ini")
API = "https://api.wordpress.org/core/checksums/1.0/?version={version}&locale=en_US"


def md5_of(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def installed_version(root: str | Path) -> str | None:
    try:
        with open(Path(root) / "wp-includes" / "version.php", "rb") as handle:
            match = VERSION_RE.search(handle.read(64 * 1024))
    except OSError:
        return None
    return match.group(1).decode() if match else None


def store_dir() -> Path:
    return home() / "checksums"


def stored(version: str) -> dict[str, str] | None:
    path = store_dir() / f"{version}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def stored_sha256(version: str) -> dict[str, str] | None:
    path = store_dir() / f"{version}.sha256.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def save(version: str, sums: dict[str, str], sha: dict[str, str] | None = None) -> Path:
    """Store the release's MD5s and, when known (a local import), its SHA-256s too: a scan
    then compares the SHA-256 it computes anyway instead of hashing core files twice."""
    if not re.fullmatch(r"[0-9][0-9A-Za-z.\-]*", version):
        raise ValueError(f"not a WordPress version: {version!r}")
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.json"
    path.write_text(json.dumps(sums, sort_keys=True), encoding="utf-8")
    sha_path = folder / f"{version}.sha256.json"
    if sha:
        sha_path.write_text(json.dumps(sha, sort_keys=True), encoding="utf-8")
    elif sha_path.exists():
        sha_path.unlink()
    return path


def _tree_sums(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    sums, sha = {}, {}
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if rel in NOT_CHECKED or rel.startswith("wp-content/uploads/") or not path.is_file():
                continue
            data = path.read_bytes()
            sums[rel] = md5_of(data)
            sha[rel] = hashlib.sha256(data).hexdigest()
    return sums, sha


def find_root(top: Path) -> Path | None:
    """The WordPress tree at ``top`` or in one of its folders (a release unpacks into
    ``wordpress/``)."""
    for candidate in [top, *sorted(p for p in top.iterdir() if p.is_dir())]:
        if (candidate / "wp-includes" / "version.php").is_file():
            return candidate
    return None


@contextmanager
def release_tree(source: str | Path) -> Iterator[Path]:
    """The WordPress tree of a directory or of a release archive (.zip, .tar.gz), the
    archive unpacked into a temporary directory that is removed afterwards."""
    source = Path(source)
    if source.is_dir():
        root = find_root(source)
        if root is None:
            raise ValueError(f"{source} holds no WordPress tree (wp-includes/version.php)")
        yield root
        return
    if not source.is_file():
        raise ValueError(f"no such file or directory: {source}")
    with tempfile.TemporaryDirectory(prefix="xuala-release-") as scratch:
        _extract(source, Path(scratch))
        root = find_root(Path(scratch))
        if root is None:
            raise ValueError(f"{source} holds no WordPress tree")
        yield root


def import_checksums(source: str | Path, *,
                     keep: Callable[[Path, str, dict[str, str]], object] | None = None,
                     ) -> tuple[str, int]:
    """Fill the store from a release archive (.zip, .tar.gz) or a pristine tree; ``keep``
    is then called with the tree, its version and its checksums (the pristine store)."""
    with release_tree(source) as root:
        version = installed_version(root)
        if not version:
            raise ValueError("the tree's wp-includes/version.php names no version")
        sums, sha = _tree_sums(root)
        save(version, sums, sha)
        if keep is not None:
            keep(root, version, sums)
    return version, len(sums)


def _extract(archive: Path, into: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (into / member.filename).resolve()
                if not str(target).startswith(str(into.resolve()) + os.sep):
                    raise ValueError(f"unsafe path in archive: {member.filename}")
            bundle.extractall(into)  # noqa: S202  (every member checked above)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as bundle:
            bundle.extractall(into, filter="data")
    else:
        raise ValueError(f"{archive} is neither a directory, a zip nor a tar archive")


def fetch(version: str, timeout: float = 5.0) -> dict[str, str] | None:
    """The official checksums for `version`, stored locally; None when offline or unknown."""
    if os.environ.get("XUALA_WSA_OFFLINE"):
        return None
    try:
        url = os.environ.get("XUALA_WSA_CHECKSUMS_URL", API).format(version=version)
        if not url.startswith(("https://", "http://")):
            return None
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310
            body = json.loads(answer.read(8 * 1024 * 1024))
    except (OSError, ValueError):
        return None
    sums = body.get("checksums") if isinstance(body, dict) else None
    if isinstance(sums, dict) and version in sums:
        sums = sums[version]
    if not isinstance(sums, dict) or not sums:
        return None
    save(version, sums)
    return sums


class Integrity:
    """Per-site core checks; `sums` is None when no checksums for the version are known."""

    def __init__(self, root: str, *, network: bool = True):
        self.version = installed_version(root)
        self.sums = None
        if self.version:
            self.sums = stored(self.version) or (fetch(self.version) if network else None)
        self.core_names = {rel.rsplit("/", 1)[-1] for rel in (self.sums or {})}
        self.sha = stored_sha256(self.version) if self.sums else None
        if self.sha is not None and set(self.sha) != set(self.sums):
            self.sha = None

    @property
    def is_wordpress(self) -> bool:
        return self.version is not None

    def needs_md5(self, rel: str) -> bool:
        """The release has this path and only its MD5 is known."""
        return bool(self.sums) and self.sha is None and rel in self.sums

    def _same(self, rel: str, md5: str | None, sha256: str | None) -> bool | None:
        if self.sha is not None and sha256 is not None:
            return self.sha.get(rel) == sha256
        if md5 is not None:
            return self.sums.get(rel) == md5
        return None

    def verified(self, rel: str, md5: str | None, sha256: str | None = None) -> bool:
        """The file is a core file with exactly the release's content."""
        return bool(self.sums) and rel in self.sums and bool(self._same(rel, md5, sha256))

    def check(self, rel: str, md5: str | None, sha256: str | None = None) -> list[Finding]:
        if not self.is_wordpress:
            return []
        lower = rel.lower()
        if lower.startswith("wp-content/uploads/") and lower.endswith(PHP_SUFFIXES):
            return [Finding(rel, "integrity", "php-in-uploads", "high",
                            "PHP file under wp-content/uploads")]
        if not self.sums:
            return []
        expected = self.sums.get(rel)
        if expected is not None:
            if self._same(rel, md5, sha256) is False:
                return [Finding(rel, "integrity", "core-file-modified", "high",
                                f"differs from WordPress {self.version}")]
            return []
        if lower.startswith(CORE_DIRS) and lower.endswith(PHP_SUFFIXES):
            return [Finding(rel, "integrity", "unknown-php-in-core", "high",
                            f"not part of WordPress {self.version}")]
        return []
