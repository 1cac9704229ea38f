"""What a Sentry check is: its error classes and limits, its result, and the URL it checks.

Shared by the probe's modules (``probe``, ``probe_http``, ``probe_tls``) and its callers (the
engine, the one-shot check, the ``sentry`` command). ``parse_target`` is the one place a
monitored URL becomes a request: the scheme and host are checked (http and https only; IDNA
host names in their ASCII form; IP literals as they are), the path and query are quoted once,
and the whole GET request is built then, so a check only writes bytes. ``target_of`` keeps
the targets of the URLs checked lately (a monitor checks the same URL every minute), so the
same URL is split once; a check with its own Host header is never cached, since the
request depends on it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

ERROR_CLASSES = ("dns", "refused", "timeout", "tls", "certificate", "http_status", "keyword",
                 "too_slow", "redirects")
USER_AGENT = "XualaSentry/1.0"
DEFAULT_BODY_CAP = 256 * 1024
BODY_HEAD = 1024
MAX_HEAD = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class PhaseTimeouts:
    """Seconds each phase may take; `total` bounds the whole check, redirects included."""

    dns: float = 5.0
    connect: float = 5.0
    tls: float = 5.0
    ttfb: float = 10.0
    total: float = 30.0


DEFAULT_TIMEOUTS = PhaseTimeouts()


@dataclass
class CheckResult:
    """What one check found; `as_json()` is the form stored in reports and printed by the CLI."""

    url: str
    started_at: str
    final_url: str = ""
    ok: bool = False
    error_class: str | None = None
    error: str = ""
    status: int | None = None
    timings: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(
        ("dns", "connect", "tls", "ttfb", "total")))
    certificate: dict[str, Any] | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    keyword_found: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body_head: str = ""

    def as_json(self) -> dict[str, Any]:
        # What dataclasses.asdict returns, built directly (asdict deep-copies every value
        # through a generic recursion: a tenth of a check's CPU).
        certificate = self.certificate
        return {"url": self.url, "started_at": self.started_at, "final_url": self.final_url,
                "ok": self.ok, "error_class": self.error_class, "error": self.error,
                "status": self.status, "timings": dict(self.timings),
                "certificate": None if certificate is None else {
                    **certificate, "san": list(certificate.get("san", ()))},
                "redirects": [dict(r) for r in self.redirects], "size": self.size,
                "keyword_found": self.keyword_found, "headers": dict(self.headers),
                "body_head": self.body_head}


class CheckFailed(Exception):
    """A classified failure; ends the check."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


class InvalidURL(ValueError):
    """The URL cannot be checked (scheme other than http/https, no host, bad port)."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, no brackets
    port: int
    request_target: str
    host_header: str
    request: bytes  # the whole GET request


# The targets of the URLs checked lately: a monitor checks the same URL every minute, and
# splitting, quoting and encoding it again cost a twentieth of an engine's CPU.
_TARGETS: dict[str, Target] = {}
_TARGETS_MAX = 200_000


def target_of(url: str, host_header: str | None) -> Target:
    if host_header is not None:
        return parse_target(url, host_header)
    target = _TARGETS.get(url)
    if target is None:
        if len(_TARGETS) >= _TARGETS_MAX:
            _TARGETS.clear()
        target = _TARGETS[url] = parse_target(url)
    return target


def parse_target(url: str, host_header: str | None = None) -> Target:
    """Split an http(s) URL into what a request needs; raises InvalidURL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidURL(f"only http and https URLs can be checked, not {url!r}")
    if not parts.hostname:
        raise InvalidURL(f"no host name in {url!r}")
    host = parts.hostname.rstrip(".")
    if not is_ip(host):
        try:
            host = _ascii_host(host) if host.isascii() else \
                host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise InvalidURL(f"invalid host name {parts.hostname!r}: {exc}") from None
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    if host_header is None:
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port == default_port else f"{shown}:{port}"
    request = (f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\n"
               f"User-Agent: {USER_AGENT}\r\nAccept: */*\r\n"
               "Accept-Encoding: identity\r\nConnection: close\r\n\r\n")
    return Target(url=url, scheme=scheme, host=host, port=port, request_target=path,
                   host_header=host_header,
                   request=request.encode("latin-1", errors="replace"))


def _ascii_host(host: str) -> str:
    """What the IDNA codec makes of an ASCII name (lower case, labels of 1 to 63 characters),
    without its per-label Python loop: nearly every monitored name is ASCII."""
    host = host.lower()
    if not all(0 < len(label) < 64 for label in host.split(".")):
        raise UnicodeError("label empty or too long")
    return host


def is_ip(host: str) -> bool:
    if not (host[:1].isdigit() or ":" in host):  # most names: no parsing attempt at all
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

