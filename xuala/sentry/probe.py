"""Online Sentry's probe: one HTTP(S) check of a site, every phase timed, any failure classified.

`check(url, ...)` resolves the name, connects, shakes hands over TLS, sends one GET, reads the
answer (body capped), follows redirects, and returns a `CheckResult` that says whether the site
met its expectations and, when not, which class of failure it was (`ERROR_CLASSES`).

Why a lean client on raw asyncio and not aiohttp (the architecture's first choice): measured
with `bench/bench_probe.py` on the 2-core development machine (shared with other work while
measured, so the rates are lower bounds and the CPU cost per check is the steadier figure),
the site farm in another process, 2,000 checks of a plain 200 page at concurrency 200, a new
connection per check, keyword searched, both clients on uvloop and verifying certificates:

    two runs (rates vary with      HTTP checks/s  CPU ms/check   HTTPS checks/s  CPU ms/check
    the machine's other load)
    this probe                       2,166-4,248     0.18-0.21          485-902     0.97-1.03
    aiohttp 3.14, TraceConfig        1,963-2,529     0.30               457-770     1.06-1.08

Over HTTP the probe costs about a third less CPU; over HTTPS both are bound by OpenSSL's handshake
(about 0.55 ms of client CPU with OpenSSL 3.0, ECDSA P-256), and the farm's side of it adds
about 0.5 ms, so this machine tops out near 1,300 HTTPS checks/s with the farm on it. What
decides it is what the failure report needs: aiohttp cannot time the TLS handshake apart from
the TCP connect, hides the certificate behind its connector, and spends its time in machinery
a monitor does not use (cookie jar, connection pool, response objects, trace signals). Here
each phase is a plain await on the event loop, so the timings are exact: `loop.getaddrinfo`
(or the `resolve` override, or a given `resolver`), `loop.create_connection`,
`loop.start_tls`, then a small HTTP/1.1 parser (`_Response`) that understands Content-Length,
chunked encoding, 1xx interim answers and close-delimited bodies, reads at most `body_cap`
bytes and searches the keyword incrementally, so an endless body neither hangs a check nor
fills memory. Nothing is kept between checks but the SSL contexts (made once per process);
each check opens and closes its own connection, as a visitor arriving once a minute would.

Timings are milliseconds since the check started, as curl's `-w` reports them: `dns` when the
name was resolved, `connect` when TCP connected, `tls` when the handshake finished, `ttfb` when
the first byte of the final response arrived, `total` when the check ended. They are therefore
monotonic (dns ≤ connect ≤ tls ≤ ttfb ≤ total); a phase not reached is None. After redirects,
dns/connect/tls/ttfb describe the request that got the final answer; each redirect records the
moment its answer arrived.

Certificates are verified during the handshake (the engine's trust store, or `ssl_context`),
and a verification failure is classified by OpenSSL's verify code: expired or not yet valid is
`certificate`; anything else (unknown CA, self-signed, wrong name) is `tls`. Only then, for the
report, a second handshake without verification fetches the certificate that was refused. A
valid certificate with fewer than `min_cert_days` left is also `certificate`, but only once the
site has otherwise answered well (a site that is down is reported as down first).

Error classes, in the order a check meets them: `dns` (the name does not resolve; names under
`.invalid` never do, RFC 6761), `refused` (no TCP connection, or the connection was closed or
reset before any answer), `timeout` (any phase or the total ran out), `tls` (handshake failed),
`certificate`, `redirects` (more than `max_redirects`, a loop, or a Location that cannot be
followed), `http_status` (final status not accepted, or an answer that is not valid HTTP or was
cut short), `keyword`, `too_slow` (everything fine but `total` over `max_ms`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import ipaddress
import math
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

ERROR_CLASSES = ("dns", "refused", "timeout", "tls", "certificate", "http_status", "keyword",
                 "too_slow", "redirects")
USER_AGENT = "XualaSentry/1.0"
DEFAULT_BODY_CAP = 256 * 1024
BODY_HEAD = 1024
MAX_HEAD = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# OpenSSL verify codes that mean "the certificate's dates are wrong", not "untrusted".
_X509_V_ERR_CERT_NOT_YET_VALID = 9
_X509_V_ERR_CERT_HAS_EXPIRED = 10
_DATE_ERRORS = frozenset({_X509_V_ERR_CERT_NOT_YET_VALID, _X509_V_ERR_CERT_HAS_EXPIRED})


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
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, no brackets
    port: int
    request_target: str
    host_header: str
    request: bytes  # the whole GET request


# The targets of the URLs checked lately: a monitor checks the same URL every minute, and
# splitting, quoting and encoding it again cost a twentieth of an engine's CPU.
_TARGETS: dict[str, _Target] = {}
_TARGETS_MAX = 200_000


def _target_of(url: str, host_header: str | None) -> _Target:
    if host_header is not None:
        return parse_target(url, host_header)
    target = _TARGETS.get(url)
    if target is None:
        if len(_TARGETS) >= _TARGETS_MAX:
            _TARGETS.clear()
        target = _TARGETS[url] = parse_target(url)
    return target


def parse_target(url: str, host_header: str | None = None) -> _Target:
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
    if not _is_ip(host):
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
    return _Target(url=url, scheme=scheme, host=host, port=port, request_target=path,
                   host_header=host_header,
                   request=request.encode("latin-1", errors="replace"))


def _ascii_host(host: str) -> str:
    """What the IDNA codec makes of an ASCII name (lower case, labels of 1 to 63 characters),
    without its per-label Python loop: nearly every monitored name is ASCII."""
    host = host.lower()
    if not all(0 < len(label) < 64 for label in host.split(".")):
        raise UnicodeError("label empty or too long")
    return host


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """The verifying client context (system trust store), made once per process."""
    return ssl.create_default_context()


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def certificate_info(der: bytes, *, now: dt.datetime | None = None,
                     verified: bool) -> dict[str, Any]:
    """The report's view of a DER certificate (any certificate, even one that failed to verify).

    Uses `cryptography`; the checks that pass use `_peer_certificate_info` instead, which reads
    the dictionary OpenSSL has already decoded (about 7 times cheaper).
    """
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    try:
        san_ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san = [str(v) for v in san_ext.get_values_for_type(x509.DNSName)]
        san += [str(v) for v in san_ext.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        san = []
    return _info(subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
                 not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
                 san=san, verified=verified, now=now)


# OpenSSL's long attribute names to the short ones of RFC 4514 strings.
_SHORT_NAMES = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
                "countryName": "C", "localityName": "L", "stateOrProvinceName": "ST",
                "streetAddress": "STREET", "domainComponent": "DC", "userId": "UID"}


def _rfc4514(name: tuple) -> str:
    """An RFC 4514 string from `getpeercert()`'s nested tuples (most specific first)."""
    parts = []
    for rdn in reversed(name):
        parts.append("+".join(
            f"{_SHORT_NAMES.get(key, key)}={_escape_dn(value)}" for key, value in rdn))
    return ",".join(parts)


def _escape_dn(value: str) -> str:
    value = "".join("\\" + ch if ch in ',+"\\<>;' else ch for ch in value)
    if value[:1] in ("#", " "):
        value = "\\" + value
    if value.endswith(" "):
        value = value[:-1] + "\\ "
    return value


def _peer_certificate_info(peer: dict, *, verified: bool) -> dict[str, Any]:
    """The report's view of a verified certificate, from `SSLObject.getpeercert()`."""
    def when(text: str) -> dt.datetime:
        return dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), dt.UTC)

    return _info(subject=_rfc4514(peer.get("subject", ())),
                 issuer=_rfc4514(peer.get("issuer", ())),
                 not_before=when(peer["notBefore"]), not_after=when(peer["notAfter"]),
                 san=[value for kind, value in peer.get("subjectAltName", ())
                      if kind in ("DNS", "IP Address")],
                 verified=verified, now=None)


# The report's facts of the certificates seen lately, by issuer and serial number (which
# name one certificate): a site serves the same certificate for months, and turning it into
# the report's form (names, dates) cost a tenth of an HTTPS check. Only days_left depends
# on the day, so it is recomputed on every check.
_CERTIFICATES: dict[tuple, tuple[dict[str, Any], dt.datetime]] = {}
_CERTIFICATES_MAX = 50_000


def _verified_certificate(transport: asyncio.Transport) -> dict[str, Any] | None:
    """The report's view of the certificate a handshake just verified."""
    # The event loop's TLS transport decoded it already when the handshake completed.
    peer = transport.get_extra_info("peercert") or \
        transport.get_extra_info("ssl_object").getpeercert()
    if not peer:
        return None
    key = (peer.get("issuer"), peer.get("serialNumber"))
    known = _CERTIFICATES.get(key)
    if known is None:
        if len(_CERTIFICATES) >= _CERTIFICATES_MAX:
            _CERTIFICATES.clear()
        facts = _peer_certificate_info(peer, verified=True)
        known = _CERTIFICATES[key] = (facts, dt.datetime.fromisoformat(facts["not_after"]))
    facts, not_after = known
    days_left = math.floor((not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400)
    return {**facts, "san": list(facts["san"]), "days_left": days_left}


def _info(*, subject: str, issuer: str, not_before: dt.datetime, not_after: dt.datetime,
          san: list[str], verified: bool, now: dt.datetime | None) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    return {
        "subject": subject,
        "issuer": issuer,
        "not_before": not_before.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": math.floor((not_after - now).total_seconds() / 86400),
        "san": san,
        "verified": verified,
    }


class _Response(asyncio.Protocol):
    """A minimal HTTP/1.1 response reader: head, then a body read up to a cap."""

    def __init__(self, loop: asyncio.AbstractEventLoop, body_cap: int,
                 keyword: str | None) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.first_byte_at: float | None = None
        self.first_byte = loop.create_future()
        self.head_done = loop.create_future()
        self.body_done = loop.create_future()
        self.head = bytearray()
        self.status: int | None = None
        self.reason = ""
        self.headers: dict[str, str] = {}  # as received, for the report
        self.lower: dict[str, str] = {}  # lower-cased names, for the logic
        self.charset = "utf-8"
        self.mode = ""  # "length", "chunked", "close", "none"
        self.remaining = 0
        self.chunk_state = "size"
        self.line = bytearray()
        self.size = 0
        self.capped = False
        self.body_cap = body_cap
        self.body_head = bytearray()
        self.keyword = keyword
        self.needles: list[bytes] = []
        self.tail = b""
        self.keyword_found = False

    # asyncio callbacks ------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None
        reason = f": {exc}" if exc else ""
        if not self.first_byte.done():
            self.first_byte.set_exception(
                CheckFailed("refused", f"connection closed before any answer{reason}"))
        if not self.head_done.done():
            self.head_done.set_exception(
                CheckFailed("http_status", f"connection closed inside the response head{reason}"))
        if not self.body_done.done():
            if self.mode == "close":
                self.body_done.set_result(None)
            else:
                expected = f" of {self.size + self.remaining}" if self.mode == "length" else ""
                self.body_done.set_exception(CheckFailed(
                    "http_status", f"connection closed after {self.size}{expected} body bytes"
                    f"{reason}"))
        for future in (self.first_byte, self.head_done, self.body_done):
            if future.done() and not future.cancelled():
                future.exception()  # mark retrieved: the caller may have stopped listening

    def eof_received(self) -> bool:
        return False

    def data_received(self, data: bytes) -> None:
        if self.first_byte_at is None:
            self.first_byte_at = time.perf_counter()
            self.first_byte.set_result(None)
        try:
            if not self.head_done.done():
                data = self._feed_head(data)
                if data is None:
                    return
            if not self.body_done.done() and data:
                self._feed_body(data)
        except CheckFailed as exc:
            for future in (self.head_done, self.body_done):
                if not future.done():
                    future.set_exception(exc)
                    future.exception()
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # head -------------------------------------------------------------------------------------
    def _feed_head(self, data: bytes) -> bytes | None:
        """Take head bytes; returns the body bytes that followed, or None while incomplete."""
        start = max(0, len(self.head) - 3)
        self.head += data
        if self.head[:5] != b"HTTP/"[:len(self.head)]:
            first_line = bytes(self.head[:80]).split(b"\r\n", 1)[0]
            raise CheckFailed("http_status", f"not an HTTP response: {first_line!r}")
        while True:
            end = self.head.find(b"\r\n\r\n", start)
            if end < 0:
                if len(self.head) > MAX_HEAD:
                    raise CheckFailed("http_status", "response head larger than 64 KiB")
                return None
            rest = bytes(self.head[end + 4:])
            self._parse_head(bytes(self.head[:end]))
            if self.status is not None and 100 <= self.status < 200:  # interim: next head
                self.head = bytearray(rest)
                self.status = None
                start = 0
                continue
            self.head = bytearray()
            self.head_done.set_result(None)
            if self.mode == "none":
                self.body_done.set_result(None)
            return rest

    def _parse_head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0].split(" ", 2)
        if (len(status_line) < 2 or not status_line[0].startswith("HTTP/")
                or not (status_line[1].isdigit() and len(status_line[1]) == 3)):
            raise CheckFailed("http_status",
                              f"not an HTTP response: {lines[0][:80]!r}")
        self.status = int(status_line[1])
        self.reason = status_line[2] if len(status_line) > 2 else ""
        if 100 <= self.status < 200:
            return
        headers: dict[str, str] = {}
        lower: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                continue
            name, value = name.strip(), value.strip()
            key = name.lower()
            if key in lower:  # repeated header: joined as RFC 9110 allows
                value = f"{lower[key]}, {value}"
                headers = {n: v for n, v in headers.items() if n.lower() != key}
            headers[name] = value
            lower[key] = value
        self.headers, self.lower = headers, lower
        content_type = lower.get("content-type", "")
        for param in content_type.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                self.charset = value.strip().strip('"').lower() or "utf-8"
        if self.status in (204, 304):
            self.mode = "none"
        elif "chunked" in lower.get("transfer-encoding", "").lower():
            self.mode = "chunked"
        elif "content-length" in lower:
            try:
                self.remaining = int(lower["content-length"].split(",")[0])
            except ValueError:
                raise CheckFailed("http_status", "invalid Content-Length") from None
            self.mode = "length" if self.remaining > 0 else "none"
        else:
            self.mode = "close"
        if self.keyword:
            needles = {self.keyword.encode("utf-8")}
            with contextlib.suppress(LookupError, UnicodeError):
                needles.add(self.keyword.encode(self.charset))
            self.needles = sorted(needles, key=len)

    # body -------------------------------------------------------------------------------------
    def _feed_body(self, data: bytes) -> None:
        if self.mode == "close":
            self._take(data)
        elif self.mode == "length":
            piece = data[:self.remaining]
            self.remaining -= len(piece)
            self._take(piece)
            if self.remaining == 0 and not self.body_done.done():
                self.body_done.set_result(None)
        else:
            self._feed_chunked(data)

    def _feed_chunked(self, data: bytes) -> None:
        i, n = 0, len(data)
        while i < n and not self.body_done.done():
            state = self.chunk_state
            if state == "data":
                piece = data[i:i + self.remaining]
                i += len(piece)
                self.remaining -= len(piece)
                self._take(piece)
                if self.remaining == 0:
                    self.chunk_state = "crlf"
                continue
            end = data.find(b"\n", i)
            if end < 0:
                self.line += data[i:]
                if len(self.line) > 4096:
                    raise CheckFailed("http_status", "chunked encoding: line too long")
                return
            self.line += data[i:end]
            i = end + 1
            line = bytes(self.line).rstrip(b"\r")
            self.line = bytearray()
            if state == "size":
                try:
                    self.remaining = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise CheckFailed("http_status",
                                      f"chunked encoding: bad chunk size {line[:20]!r}") from None
                self.chunk_state = "data" if self.remaining else "trailer"
            elif state == "crlf":
                if line:
                    raise CheckFailed("http_status", "chunked encoding: missing CRLF")
                self.chunk_state = "size"
            elif not line:  # the empty line that ends the trailer
                self.body_done.set_result(None)

    def _take(self, piece: bytes) -> None:
        if self.capped or not piece:
            return
        room = self.body_cap - self.size
        if len(piece) >= room:
            piece = piece[:room]
            self.capped = True
        self.size += len(piece)
        if len(self.body_head) < BODY_HEAD:
            self.body_head += piece[:BODY_HEAD - len(self.body_head)]
        if self.needles and not self.keyword_found:
            longest = len(self.needles[-1])
            window = self.tail + piece[:longest - 1]
            if any(n in piece or n in window for n in self.needles):
                self.keyword_found = True
            elif longest > 1:
                keep = longest - 1
                self.tail = piece[-keep:] if len(piece) >= keep else (self.tail + piece)[-keep:]
        if self.capped:
            if not self.body_done.done():
                self.body_done.set_result(None)
            self.abort()  # stop an endless body here; nothing more is read

    def decoded_head(self) -> str:
        try:
            return bytes(self.body_head).decode(self.charset, errors="replace")
        except LookupError:
            return bytes(self.body_head).decode("utf-8", errors="replace")


class _Deadline:
    """Cancels the running task when the current phase's deadline passes.

    What ``asyncio.timeout_at`` does, with one loop timer moved from phase to phase and
    none of its bookkeeping: five phases a check, thousands of checks a second. The task
    is suspended inside the request whenever the timer can fire, so the cancellation lands
    there, and ``passed()`` tells it from a cancellation that came from outside (which is
    re-raised).
    """

    __slots__ = ("cancelling", "fired", "handle", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        self.loop = loop
        self.task = asyncio.current_task()
        self.cancelling = self.task.cancelling()  # cancellations asked before this one
        self.fired = False
        self.handle = loop.call_at(when, self._fire)

    def _fire(self) -> None:
        self.fired = True
        self.task.cancel()

    def move(self, when: float) -> None:
        self.handle.cancel()
        self.handle = self.loop.call_at(when, self._fire)

    def stop(self) -> None:
        self.handle.cancel()

    def passed(self) -> bool:
        """Whether the deadline cancelled the task (that cancellation is then withdrawn; one
        asked from outside as well still propagates)."""
        if self.fired:
            self.fired = False
            return self.task.uncancel() <= self.cancelling
        return False


class _Clock:
    """Milliseconds since the check started, and per-phase deadlines inside the total one."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeouts: PhaseTimeouts) -> None:
        self.loop = loop
        self.timeouts = timeouts
        self.started = time.perf_counter()
        self.deadline = loop.time() + timeouts.total
        self.current, self.own_limit = "dns", True

    def ms(self, at: float | None = None) -> float:
        return round(((at or time.perf_counter()) - self.started) * 1000, 3)

    def phase(self, name: str) -> float:
        """The loop deadline of a phase starting now: its own limit or the total's."""
        own = self.loop.time() + getattr(self.timeouts, name)
        self.current, self.own_limit = name, own < self.deadline
        return own if self.own_limit else self.deadline

    def late(self) -> str:
        """What to say when the current phase's deadline passed."""
        name = self.current
        if self.own_limit:
            return _PHASE_LATE[name].format(limit=f"{getattr(self.timeouts, name):g}")
        return (f"total time limit of {self.timeouts.total:g} s reached "
                f"during {_PHASE_NAMES[name]}")


_PHASE_LATE = {"dns": "name not resolved within {limit} s",
               "connect": "no TCP connection within {limit} s",
               "tls": "TLS handshake not finished within {limit} s",
               "ttfb": "no response within {limit} s",
               "total": "response not finished within {limit} s"}
_PHASE_NAMES = {"dns": "name resolution", "connect": "the TCP connection",
                "tls": "the TLS handshake", "ttfb": "the wait for the response",
                "total": "the response"}


def _is_ip(host: str) -> bool:
    if not (host[:1].isdigit() or ":" in host):  # most names: no parsing attempt at all
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


Resolver = Callable[[str, int], Awaitable[list[str]]]


def _resolve_known(host: str, resolve: dict[str, str] | None) -> list[str] | None:
    """The address of an IP literal or of a name in the ``resolve`` overrides, else None."""
    if _is_ip(host):
        return [host]
    if resolve:
        address = resolve.get(host)
        if address is None and "." in host:
            address = resolve.get("*." + host.split(".", 1)[1])
        if address is not None:
            return [address]
    return None


async def _resolve(host: str, port: int, resolver: Resolver | None,
                   loop: asyncio.AbstractEventLoop) -> list[str]:
    """A name's addresses from DNS (``_resolve_known`` has answered for literals and
    overrides)."""
    if host == "invalid" or host.endswith(".invalid"):
        raise CheckFailed("dns", f"{host} does not resolve (the .invalid domain never does)")
    try:
        if resolver is not None:
            addresses = await resolver(host, port)
        else:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(info[4][0] for info in infos))
    except socket.gaierror as exc:
        raise CheckFailed("dns", f"{host} does not resolve: {exc.strerror or exc}") from None
    if not addresses:
        raise CheckFailed("dns", f"{host} has no address")
    return addresses


async def _connect(addresses: list[str], port: int, protocol: _Response,
                   loop: asyncio.AbstractEventLoop) -> asyncio.Transport:
    errors = []
    for address in addresses:
        try:
            transport, _ = await loop.create_connection(lambda: protocol, address, port)
            return transport
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            errors.append(f"{address} port {port}: {reason}")
    raise CheckFailed("refused", "cannot connect: " + "; ".join(errors))


def _tls_failure(exc: BaseException, server_name: str) -> CheckFailed:
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = f"certificate of {server_name} refused: {exc.verify_message}"
        if exc.verify_code in _DATE_ERRORS:
            return CheckFailed("certificate", message)
        return CheckFailed("tls", message)
    if isinstance(exc, ssl.SSLError):
        return CheckFailed("tls", f"TLS handshake with {server_name} failed: "
                                  f"{exc.reason or exc}")
    return CheckFailed("tls", f"TLS handshake with {server_name} failed: {exc!r}")


async def _refused_certificate(address: str, port: int, server_name: str,
                               deadline: float, loop: asyncio.AbstractEventLoop
                               ) -> dict[str, Any] | None:
    """The certificate a failed verification refused, fetched again without verification."""
    transport = None
    try:
        async with asyncio.timeout_at(deadline):
            transport, _ = await loop.create_connection(
                asyncio.Protocol, address, port, ssl=_unverified_context(),
                server_hostname=server_name)
            der = transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
            if not der:
                return None
            return certificate_info(der, verified=False) | {"host": server_name}
    except (OSError, TimeoutError, ssl.SSLError, ValueError):
        return None
    finally:
        if transport is not None:
            transport.abort()


async def _fetch(target: _Target, result: CheckResult, clock: _Clock, *,
                 body_cap: int, keyword: str | None, want_body: bool,
                 resolve: dict[str, str] | None, resolver: Resolver | None,
                 ssl_context: ssl.SSLContext | None,
                 certificates: list[dict[str, Any]]) -> _Response:
    """One request/response; fills the phase marks of `result.timings`."""
    loop = clock.loop
    timings = result.timings
    for name in ("dns", "connect", "tls", "ttfb"):
        timings[name] = None
    transport = None
    protocol = _Response(loop, body_cap, keyword)
    # One timer for the whole request, moved to each phase's deadline as it starts.
    addresses = _resolve_known(target.host, resolve)
    deadline = _Deadline(loop, clock.phase("dns" if addresses is None else "connect"))
    try:
        if addresses is None:
            addresses = await _resolve(target.host, target.port, resolver, loop)
            deadline.move(clock.phase("connect"))
        timings["dns"] = clock.ms()

        transport = await _connect(addresses, target.port, protocol, loop)
        timings["connect"] = clock.ms()

        if target.scheme == "https":
            server_name = target.host_header.rsplit(":", 1)[0].strip("[]") \
                if target.host_header else target.host
            address = transport.get_extra_info("peername")[0]
            deadline.move(clock.phase("tls"))
            try:
                transport = await loop.start_tls(
                    transport, protocol, ssl_context or default_ssl_context(),
                    server_hostname=server_name)
            except (OSError, ssl.SSLError, ValueError) as exc:
                failure = _tls_failure(exc, server_name)
                transport = None  # start_tls closed it
                if isinstance(exc, ssl.SSLCertVerificationError):
                    deadline.stop()  # the fetch below has its own
                    result.certificate = await _refused_certificate(
                        address, target.port, server_name, clock.phase("tls"), loop)
                raise failure from None
            protocol.transport = transport
            timings["tls"] = clock.ms()
            certificate = _verified_certificate(transport)
            if certificate:
                certificates.append(certificate | {"host": server_name})

        transport.write(target.request)
        deadline.move(clock.phase("ttfb"))
        await protocol.first_byte
        timings["ttfb"] = clock.ms(protocol.first_byte_at)

        deadline.move(clock.phase("total"))
        await protocol.head_done
        result.status, result.headers = protocol.status, protocol.headers
        if want_body or protocol.status not in REDIRECT_STATUSES \
                or "location" not in protocol.lower:
            await protocol.body_done
        return protocol
    except (asyncio.CancelledError, TimeoutError):
        if not deadline.passed():
            raise
        detail = f" after {protocol.size} body bytes" if clock.current == "total" else ""
        raise CheckFailed("timeout", f"timeout: {clock.late()}{detail}") from None
    finally:
        deadline.stop()
        if protocol.status is not None and not 100 <= protocol.status < 200:
            result.size, result.body_head = protocol.size, protocol.decoded_head()
        if transport is not None:
            transport.abort()
        elif protocol.transport is not None:
            protocol.abort()


async def check(url: str, *, keyword: str | None = None, keyword_absent: bool = False,
                max_ms: int | None = None, accepted_status: range = range(200, 300),
                min_cert_days: int = 7, timeouts: PhaseTimeouts = DEFAULT_TIMEOUTS,
                max_redirects: int = 5, body_cap: int = DEFAULT_BODY_CAP,
                host_header: str | None = None, resolve: dict[str, str] | None = None,
                resolver: Resolver | None = None,
                ssl_context: ssl.SSLContext | None = None) -> CheckResult:
    """Check one URL now; never raises for a site's failure (see the module docstring).

    Redirects are followed (up to `max_redirects`); the final status must be in
    `accepted_status` (2xx by default). `keyword` must appear in the first `body_cap` bytes of
    the final body (or must not, with `keyword_absent`). `host_header` replaces the Host header
    and the TLS server name of the first request (a site checked on a given address); `resolve`
    maps host names (or `*.domain` wildcards) to addresses, bypassing DNS; other names go to
    `resolver` (an async callable (host, port) -> addresses that raises socket.gaierror for a
    name that does not exist), or by default to the system's getaddrinfo, which runs in the
    loop's thread pool. `ssl_context` is the verifying client context (default: the system
    trust store, made once per process).
    Raises InvalidURL when `url` itself cannot be checked.
    """
    target = _target_of(url, host_header)
    loop = asyncio.get_running_loop()
    clock = _Clock(loop, timeouts)
    result = CheckResult(url=url, final_url=url,
                         started_at=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))
    certificates: list[dict[str, Any]] = []
    visited = {target.url}
    try:
        while True:
            result.status, result.headers = None, {}
            response = await _fetch(target, result, clock, body_cap=body_cap, keyword=keyword,
                                    want_body=False, resolve=resolve, resolver=resolver,
                                    ssl_context=ssl_context,
                                    certificates=certificates)
            location = response.lower.get("location")
            if response.status not in REDIRECT_STATUSES or location is None:
                break
            next_url = urljoin(target.url, location)
            result.redirects.append({"url": target.url, "status": response.status,
                                     "location": next_url, "at": clock.ms()})
            if len(result.redirects) > max_redirects:
                raise CheckFailed("redirects", f"more than {max_redirects} redirects")
            if next_url in visited:
                raise CheckFailed("redirects", f"redirect loop: {target.url} -> {next_url}")
            visited.add(next_url)
            try:
                target = parse_target(next_url)
            except InvalidURL as exc:
                raise CheckFailed("redirects", f"cannot follow redirect: {exc}") from None
            result.final_url = next_url
        if keyword:
            result.keyword_found = response.keyword_found
        result.certificate = certificates[-1] if certificates else None
        if response.status not in accepted_status:
            raise CheckFailed("http_status", f"HTTP {response.status} {response.reason}".strip())
        if keyword and response.keyword_found == keyword_absent:
            where = f"first {body_cap} bytes of the body" if response.capped else "body"
            raise CheckFailed("keyword", (f"keyword {keyword!r} found in the {where}"
                                          if keyword_absent else
                                          f"keyword {keyword!r} not found in the {where}"))
        for certificate in certificates:
            if certificate["days_left"] < min_cert_days:
                result.certificate = certificate
                raise CheckFailed("certificate", (
                    f"certificate of {certificate['host']} expires in "
                    f"{certificate['days_left']} days ({certificate['not_after']}), "
                    f"fewer than {min_cert_days}"))
        result.timings["total"] = clock.ms()
        if max_ms is not None and result.timings["total"] > max_ms:
            raise CheckFailed("too_slow", f"answered in {result.timings['total']:.0f} ms, "
                                          f"more than {max_ms} ms")
        result.ok = True
    except CheckFailed as failure:
        result.error_class = failure.error_class
        result.error = str(failure)
        if result.certificate is None and certificates:
            result.certificate = certificates[-1]
    if result.timings["total"] is None:
        result.timings["total"] = clock.ms()
    return result
