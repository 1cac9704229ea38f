"""Known vulnerabilities: installed core, plugin and theme versions against an OSV feed.

The feed is imported offline (`xuala wsa vulns import FILE`: one OSV JSON advisory, a list of
them, {"vulns": [...]}, or a .zip of advisory files) into `<home>/vulns.json`. Packages are
named in the "WordPress" ecosystem as `wordpress` (core), `plugin/<slug>` or `theme/<slug>`
(the bare slug is taken as a plugin).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from xuala.wsa.findings import Finding, home
from xuala.wsa.integrity import installed_version

HEADER_RE = re.compile(rb"^[ \t/*#@]*Version\s*:\s*([0-9][0-9A-Za-z.\-+]*)", re.M | re.I)
PLUGIN_RE = re.compile(rb"^[ \t/*#@]*Plugin Name\s*:", re.M | re.I)
SEVERITY_WORDS = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium",
                  "MEDIUM": "medium", "LOW": "low"}


def feed_path() -> Path:
    return home() / "vulns.json"


def _advisories(source: Path) -> list[dict]:
    if zipfile.is_zipfile(source):
        found = []
        with zipfile.ZipFile(source) as bundle:
            for name in bundle.namelist():
                if name.endswith(".json"):
                    found += _flatten(json.loads(bundle.read(name)))
        return found
    return _flatten(json.loads(source.read_text(encoding="utf-8")))


def _flatten(body) -> list[dict]:
    if isinstance(body, dict) and "vulns" in body:
        body = body["vulns"]
    if isinstance(body, dict):
        body = [body]
    return [item for item in body if isinstance(item, dict) and item.get("id")]


def _package(name: str) -> tuple[str, str]:
    name = name.strip().lower()
    if name in ("wordpress", "core", "wordpress/core"):
        return "core", "wordpress"
    kind, sep, slug = name.partition("/")
    if sep and kind in ("plugin", "theme"):
        return kind, slug
    return "plugin", name


def import_feed(source: str | Path) -> int:
    """Merge the advisories of `source` into the local feed; returns how many it now holds."""
    path = feed_path()
    known = {}
    if path.exists():
        known = {a["id"]: a for a in json.loads(path.read_text(encoding="utf-8"))}
    for advisory in _advisories(Path(source)):
        known[advisory["id"]] = advisory
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(list(known.values())), encoding="utf-8")
    return len(known)


def _key(version: str) -> tuple:
    parts = re.split(r"[.\-+]", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _less(a: str, b: str) -> bool:
    ka, kb = _key(a), _key(b)
    width = max(len(ka), len(kb))
    pad = (0, 0, "")
    return ka + (pad,) * (width - len(ka)) < kb + (pad,) * (width - len(kb))


def affected(entry: dict, version: str) -> bool:
    if version in (entry.get("versions") or []):
        return True
    for span in entry.get("ranges") or []:
        if span.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue
        inside = False
        for event in span.get("events") or []:
            if "introduced" in event:
                start = event["introduced"]
                inside = start == "0" or not _less(version, start)
            elif inside and (
                    ("fixed" in event and not _less(version, event["fixed"]))
                    or ("last_affected" in event and _less(event["last_affected"], version))):
                inside = False
        if inside:
            return True
    return False


def _severity(advisory: dict) -> str:
    word = str((advisory.get("database_specific") or {}).get("severity", "")).upper()
    return SEVERITY_WORDS.get(word, "high")


def installed(root: str | Path) -> list[tuple[str, str, str, str]]:
    """(kind, slug, version, relative path) for core, plugins and themes found in the tree."""
    root = Path(root)
    found = []
    core = installed_version(root)
    if core:
        found.append(("core", "wordpress", core, "wp-includes/version.php"))
    plugins = root / "wp-content" / "plugins"
    for folder in sorted(plugins.iterdir()) if plugins.is_dir() else []:
        if folder.is_symlink() or not folder.is_dir():
            continue
        for main in sorted(folder.glob("*.php")):
            if main.is_symlink():
                continue
            head = _head(main)
            if head and PLUGIN_RE.search(head):
                match = HEADER_RE.search(head)
                if match:
                    rel = main.relative_to(root).as_posix()
                    found.append(("plugin", folder.name.lower(), match.group(1).decode(), rel))
                break
    themes = root / "wp-content" / "themes"
    for folder in sorted(themes.iterdir()) if themes.is_dir() else []:
        style = folder / "style.css"
        if folder.is_symlink() or not style.is_file() or style.is_symlink():
            continue
        match = HEADER_RE.search(_head(style) or b"")
        if match:
            found.append(("theme", folder.name.lower(), match.group(1).decode(),
                          style.relative_to(root).as_posix()))
    return found


def _head(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(8192)
    except OSError:
        return None


def check(root: str | Path) -> list[Finding]:
    path = feed_path()
    if not path.exists():
        return []
    index: dict[tuple[str, str], list[tuple[dict, dict]]] = {}
    for advisory in json.loads(path.read_text(encoding="utf-8")):
        for entry in advisory.get("affected") or []:
            package = entry.get("package") or {}
            if str(package.get("ecosystem", "")).lower() != "wordpress":
                continue
            index.setdefault(_package(str(package.get("name", ""))), []).append((advisory, entry))
    findings = []
    for kind, slug, version, rel in installed(root):
        for advisory, entry in index.get((kind, slug), []):
            if affected(entry, version):
                fixed = [e["fixed"] for r in entry.get("ranges") or []
                         for e in r.get("events") or [] if "fixed" in e]
                summary = advisory.get("summary") or advisory.get("details", "")[:120]
                evidence = f"{kind} {slug} {version}: {summary}".strip()
                if fixed:
                    evidence += f" (fixed in {', '.join(fixed)})"
                findings.append(Finding(rel, "vulnerability", advisory["id"],
                                        _severity(advisory), evidence))
    return findings
