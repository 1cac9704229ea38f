"""Health checks of a site's key pages: status, PHP errors in the body and in the error
logs, and keywords that must be there.

A page is ``ok`` when it answers 2xx/3xx (redirects followed on the same host) with no PHP
fatal or parse error shown and none written to the error logs while it was asked for, and
every keyword given for it is in the body. ``problems`` lists what is wrong in short stable
sentences (no times, no request ids), so the same breakage reads the same before and after.

Error logs: ``wp-content/debug.log``, ``error_log`` and ``php_errors.log`` at the root and
any file named in ``XUALA_UPDATES_ERROR_LOGS`` (colon-separated, absolute or relative to the
root); only what is appended while a page is asked for is read.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT = 60
MAX_BODY = 8 << 20
LOGS = ("wp-content/debug.log", "error_log", "php_errors.log")
BODY_ERRORS = [
    (re.compile(rb"<b>\s*(Fatal error|Parse error)\s*</b>\s*:\s*(.{0,200}?)(?:<br|\n|$)",
                re.I | re.S), "php"),
    (re.compile(rb"^(?:PHP )?(Fatal error|Parse error): (.{0,200})$", re.M), "php"),
    (re.compile(rb"There has been a critical error on this website"), "wordpress"),
    (re.compile(rb"Error establishing a database connection"), "database"),
    (re.compile(rb"Briefly unavailable for scheduled maintenance"), "maintenance"),
]
LOG_ERROR_RE = re.compile(rb"PHP (Fatal error|Parse error):\s*(.{0,200})")
TAGS_RE = re.compile(rb"<[^>]+>")


@dataclass
class PageCheck:
    page: str
    status: int | None = None
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    diff: float | None = None

    def as_dict(self) -> dict:
        return {"page": self.page, "status": self.status, "ok": self.ok,
                "problems": list(self.problems), "diff": self.diff}


def page_url(base: str, page: str) -> str:
    return urllib.parse.urljoin(base if base.endswith("/") else base + "/", page.lstrip("/"))


def log_files(root: Path) -> list[Path]:
    extra = [p for p in os.environ.get("XUALA_UPDATES_ERROR_LOGS", "").split(":") if p]
    return [Path(p) if os.path.isabs(p) else root / p for p in (*LOGS, *extra)]


def _sizes(paths: list[Path]) -> dict[Path, int]:
    sizes = {}
    for path in paths:
        try:
            sizes[path] = path.stat().st_size
        except OSError:
            sizes[path] = 0
    return sizes


def _appended(paths: list[Path], since: dict[Path, int]) -> bytes:
    out = b""
    for path in paths:
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                start = since.get(path, 0) if size >= since.get(path, 0) else 0
                handle.seek(start)
                out += handle.read(min(size - start, 1 << 20))
        except OSError:
            continue
    return out


def _clean(text: bytes, root: Path) -> str:
    words = " ".join(TAGS_RE.sub(b"", text).decode("utf-8", "replace").split())
    return words.replace(str(root) + "/", "")[:240]


def _same_host(base: str, final: str) -> bool:
    return urllib.parse.urlsplit(base).netloc == urllib.parse.urlsplit(final).netloc


def fetch(url: str) -> tuple[int | None, bytes, str, str]:
    """(status, body, final URL, error) of one GET; redirects followed."""
    request = urllib.request.Request(url, headers={  # noqa: S310 (the run checks the scheme)
        "User-Agent": "xuala-updates-check", "Cache-Control": "no-cache"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.read(MAX_BODY), answer.geturl(), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(MAX_BODY), error.geturl() or url, ""
    except (OSError, ValueError) as error:
        return None, b"", url, str(getattr(error, "reason", error))


def check_page(base: str, page: str, root: Path, keywords: list[str] | None = None) -> PageCheck:
    logs = log_files(root)
    since = _sizes(logs)
    url = page_url(base, page)
    status, body, final, error = fetch(url)
    result = PageCheck(page=page, status=status)
    if status is None:
        result.problems.append(f"no answer: {error}")
    elif status >= 400:
        result.problems.append(f"HTTP {status}")
    if status is not None and not _same_host(url, final):
        result.problems.append(f"redirects to {urllib.parse.urlsplit(final).netloc}")
    for pattern, kind in BODY_ERRORS:
        match = pattern.search(body)
        if match:
            detail = _clean(match.group(2), root) if kind == "php" else ""
            label = match.group(1).decode().lower() if kind == "php" else {
                "wordpress": "WordPress critical error", "database": "database connection error",
                "maintenance": "maintenance page"}[kind]
            result.problems.append(label + (f": {detail}" if detail else ""))
    for match in LOG_ERROR_RE.finditer(_appended(logs, since)):
        result.problems.append(f"{match.group(1).decode().lower()} in the error log: "
                               f"{_clean(match.group(2), root)}")
    text = body.decode("utf-8", "replace")
    for keyword in keywords or []:
        if keyword not in text:
            result.problems.append(f"keyword missing: {keyword}")
    result.ok = not result.problems
    return result


def check_pages(base: str, pages: list[str], root: Path,
                keywords: dict[str, list[str]] | None = None) -> list[PageCheck]:
    return [check_page(base, page, root, (keywords or {}).get(page)) for page in pages]


def new_failures(before: PageCheck | None, after: PageCheck) -> list[str]:
    """What is wrong with ``after`` that was not wrong ``before`` (a page broken before the
    run is not blamed on an update)."""
    if before is None:
        return list(after.problems)
    return [p for p in after.problems if p not in before.problems]
