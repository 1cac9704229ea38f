"""Where new versions come from: one interface, three kinds of source.

* a **directory** laid out ``plugins/<slug>/<version>.zip``, ``themes/<slug>/<version>.zip``,
  ``core/<version>.zip`` (tests and air-gapped hosts);
* an **HTTP mirror** with the same layout; a folder's versions are read from its listing
  (any page whose links name ``<version>.zip``, as nginx's or Apache's autoindex give);
* the **official WordPress update service** (``XUALA_UPDATES_API``, default
  https://api.wordpress.org): the update-check protocol WordPress itself speaks
  (``plugins/update-check/1.1/``, ``themes/update-check/1.1/``, ``core/version-check/1.7/``),
  offers whose PHP requirement this node's PHP does not meet left out.

``for_setting(value)``: an absolute directory, an http(s) URL, or empty for the official
service (``wordpress.org`` names it too). Versions compare as PHP's ``version_compare``.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

KINDS = {"plugin": "plugins", "theme": "themes", "core": "core"}
SPECIAL = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "RC": 3, "rc": 3, "#": 4,
           "pl": 5, "p": 5}
HREF_RE = re.compile(r"""href\s*=\s*["']?(?:[^"'\s>]*/)?([^"'/\s>?#]+)\.zip["'\s>?#]""", re.I)
MAX_DOWNLOAD = 512 * 1024 * 1024
TIMEOUT = 60


class SourceError(Exception):
    """The source cannot be read, or a package cannot be fetched."""


def _canonical(version: str) -> list[str]:
    text = re.sub(r"[-_+]", ".", version.strip())
    text = re.sub(r"(?<=\d)(?=[^\d.])|(?<=[^\d.])(?=\d)", ".", text)
    return [part for part in text.split(".") if part]


def _part(x: str, y: str) -> int:
    if x.isdigit() and y.isdigit():
        a, b = int(x), int(y)
    else:
        a = SPECIAL["#"] if x.isdigit() else SPECIAL.get(x, -1)
        b = SPECIAL["#"] if y.isdigit() else SPECIAL.get(y, -1)
    return (a > b) - (a < b)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as PHP's ``version_compare(a, b)``."""
    left, right = _canonical(a), _canonical(b)
    for x, y in zip(left, right, strict=False):
        order = _part(x, y)
        if order:
            return order
    if len(left) > len(right):
        extra = left[len(right)]
        return 1 if extra.isdigit() else _part(extra, "#")
    if len(right) > len(left):
        extra = right[len(left)]
        return -1 if extra.isdigit() else _part("#", extra)
    return 0


def newest(versions) -> str | None:
    best = None
    for version in versions:
        if best is None or compare(version, best) > 0:
            best = version
    return best


@dataclass(frozen=True)
class Offer:
    type: str
    slug: str
    version: str
    location: str  # a path or a URL
    requires_php: str = ""

    def as_dict(self) -> dict:
        return {"type": self.type, "slug": self.slug, "version": self.version,
                "location": self.location, "requires_php": self.requires_php}


def _components(inventory: dict):
    """(type, slug, installed version, inventory item) for what a source may update."""
    for plugin in inventory.get("plugins", []):
        if not plugin.get("single_file"):
            yield "plugin", plugin["slug"], plugin["version"], plugin
    for theme in inventory.get("themes", []):
        yield "theme", theme["slug"], theme["version"], theme
    yield "core", "wordpress", inventory["core"]["version"], inventory["core"]


class Source:
    name = "source"

    def versions(self, kind: str, slug: str) -> list[str]:
        raise NotImplementedError

    def location(self, kind: str, slug: str, version: str) -> str:
        raise NotImplementedError

    def offers(self, inventory: dict) -> dict[tuple[str, str], Offer]:
        """The newest version newer than the installed one, for each component that has one."""
        found = {}
        for kind, slug, current, _item in _components(inventory):
            version = newest(self.versions(kind, slug))
            if version and compare(version, current or "0") > 0:
                found[(kind, slug)] = Offer(kind, slug, version,
                                            self.location(kind, slug, version))
        return found

    def fetch(self, offer: Offer, folder: Path) -> Path:
        """The package of ``offer`` as a local zip file (downloaded into ``folder``)."""
        if not offer.location.startswith(("http://", "https://")):
            raise SourceError(f"not an http(s) package address: {offer.location!r}")
        target = folder / f"{offer.type}-{_safe(offer.slug)}-{_safe(offer.version)}.zip"
        if target.is_file() and zipfile.is_zipfile(target):
            return target  # fetched by an earlier attempt of the same run
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        try:
            request = urllib.request.Request(offer.location,  # noqa: S310 (scheme checked)
                                             headers={"User-Agent": "xuala-node"})
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer, \
                    open(partial, "wb") as out:  # noqa: S310
                total = 0
                while chunk := answer.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_DOWNLOAD:
                        raise SourceError(f"{offer.location} is larger than "
                                          f"{MAX_DOWNLOAD >> 20} MB")
                    out.write(chunk)
        except (OSError, urllib.error.URLError) as error:
            partial.unlink(missing_ok=True)
            raise SourceError(f"cannot download {offer.location}: {error}") from error
        if not zipfile.is_zipfile(partial):
            partial.unlink(missing_ok=True)
            raise SourceError(f"{offer.location} is not a zip archive")
        os.replace(partial, target)
        return target


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _valid_slug(slug: str) -> bool:
    return bool(slug) and slug not in (".", "..") and "/" not in slug and "\x00" not in slug


class DirectorySource(Source):
    name = "directory"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceError(f"the update source {root} is not a directory")

    def versions(self, kind: str, slug: str) -> list[str]:
        if not _valid_slug(slug):
            return []
        folder = self.root / KINDS[kind] if kind == "core" else self.root / KINDS[kind] / slug
        if not folder.is_dir():
            return []
        return [p.name[:-4] for p in folder.iterdir() if p.name.endswith(".zip") and p.is_file()]

    def location(self, kind: str, slug: str, version: str) -> str:
        folder = self.root / KINDS[kind] if kind == "core" else self.root / KINDS[kind] / slug
        return str(folder / f"{version}.zip")

    def fetch(self, offer: Offer, folder: Path) -> Path:
        path = Path(offer.location)
        if not zipfile.is_zipfile(path):
            raise SourceError(f"{path} is not a zip archive")
        return path


class MirrorSource(Source):
    name = "mirror"

    def __init__(self, base: str):
        self.base = base.rstrip("/") + "/"

    def _folder(self, kind: str, slug: str) -> str:
        if kind == "core":
            return self.base + "core/"
        return f"{self.base}{KINDS[kind]}/{urllib.parse.quote(slug)}/"

    def versions(self, kind: str, slug: str) -> list[str]:
        if not _valid_slug(slug):
            return []
        try:
            with urllib.request.urlopen(self._folder(kind, slug), timeout=TIMEOUT) as answer:  # noqa: S310
                page = answer.read(4 << 20).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise SourceError(f"the mirror answered {error.code} for {kind} {slug}") from error
        except OSError as error:
            raise SourceError(f"the mirror cannot be reached: {error}") from error
        return sorted({urllib.parse.unquote(v) for v in HREF_RE.findall(page + " ")})

    def location(self, kind: str, slug: str, version: str) -> str:
        return self._folder(kind, slug) + urllib.parse.quote(version) + ".zip"


class WordPressOrgSource(Source):
    """The official update service, asked once per run for all the site's components."""

    name = "wordpress.org"

    def __init__(self, api: str | None = None):
        self.api = (api or os.environ.get("XUALA_UPDATES_API")
                    or "https://api.wordpress.org").rstrip("/")

    def _call(self, path: str, form: dict | None = None) -> dict:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.api + path, data=data,  # noqa: S310
                                         headers={"User-Agent": "WordPress/xuala-node"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                body = json.loads(answer.read(16 << 20) or b"{}")
        except (OSError, ValueError) as error:
            raise SourceError(f"the update service did not answer {path}: {error}") from error
        return body if isinstance(body, dict) else {}

    def offers(self, inventory: dict) -> dict[tuple[str, str], Offer]:
        core = inventory["core"]
        php = core.get("php") or ""
        locale = core.get("locale") or "en_US"
        found: dict[tuple[str, str], Offer] = {}
        plugins = [p for p in inventory.get("plugins", []) if not p.get("single_file")]
        if plugins:
            body = self._call("/plugins/update-check/1.1/", {
                "plugins": json.dumps({
                    "plugins": {p["file"]: {"Name": p["name"], "Version": p["version"]}
                                for p in plugins},
                    "active": [p["file"] for p in plugins if p.get("active")]}),
                "translations": "[]", "locale": json.dumps([locale]), "all": "true"})
            by_file = {p["file"]: p for p in plugins}
            for file, item in (body.get("plugins") or {}).items():
                self._add(found, "plugin", by_file.get(file), item, php)
        themes = inventory.get("themes", [])
        if themes:
            body = self._call("/themes/update-check/1.1/", {
                "themes": json.dumps({
                    "active": inventory.get("stylesheet", ""),
                    "themes": {t["slug"]: {"Name": t["name"], "Version": t["version"],
                                           "Stylesheet": t["slug"]} for t in themes}}),
                "translations": "[]", "locale": json.dumps([locale])})
            by_slug = {t["slug"]: t for t in themes}
            for slug, item in (body.get("themes") or {}).items():
                self._add(found, "theme", by_slug.get(slug), item, php)
        query = urllib.parse.urlencode({"version": core["version"], "php": php,
                                        "locale": locale})
        body = self._call(f"/core/version-check/1.7/?{query}")
        offers = [o for o in body.get("offers") or [] if isinstance(o, dict)
                  and o.get("response") in ("upgrade", "autoupdate")
                  and (o.get("packages") or {}).get("full")
                  and (not php or not o.get("php_version") or compare(php, o["php_version"]) >= 0)]
        best = None
        for offer in offers:
            if compare(str(offer.get("version", "")), core["version"]) > 0 and (
                    best is None or compare(offer["version"], best["version"]) > 0):
                best = offer
        if best:
            found[("core", "wordpress")] = Offer("core", "wordpress", best["version"],
                                                 best["packages"]["full"],
                                                 best.get("php_version") or "")
        return found

    @staticmethod
    def _add(found: dict, kind: str, item: dict | None, answer, php: str) -> None:
        if item is None or not isinstance(answer, dict):
            return
        version, package = str(answer.get("new_version") or ""), answer.get("package")
        requires = str(answer.get("requires_php") or "")
        if not package or not version or compare(version, item["version"]) <= 0:
            return
        if php and requires and compare(php, requires) < 0:
            return
        found[(kind, item["slug"])] = Offer(kind, item["slug"], version, str(package), requires)


def for_setting(value: str | None) -> Source:
    value = (value or "").strip()
    if not value or value == "wordpress.org":
        return WordPressOrgSource()
    if value.startswith(("http://", "https://")):
        return MirrorSource(value)
    if value.startswith("/"):
        return DirectorySource(value)
    raise SourceError(f"an update source is an absolute directory or an http(s) URL: {value!r}")
