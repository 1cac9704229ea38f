"""Online Sentry's probe: one HTTP(S) check of a site, every phase timed, any failure classified.

`check(url, ...)` resolves the name, connects, shakes hands over TLS, sends one GET, reads the
answer (body capped), follows redirects, and returns a `CheckResult` that says whether the site
met its expectations and, when not, which class of failure it was (`ERROR_CLASSES`).

Why a lean client on raw asyncio and not aiohttp (the architecture's first choice): measured
with `bench/bench_probe.py` (the figures are in bench/README.md, "Probe: this client against
aiohttp"), a third less CPU per HTTP check, the same over HTTPS, where both are bound by
OpenSSL's handshake (about 0.55 ms of client CPU with OpenSSL 3.0, ECDSA P-256), and the farm's
side of it adds about 0.5 ms, so this machine tops out near 1,300 HTTPS checks/s with the farm
on it. What decides it is what the failure report needs: aiohttp cannot time the TLS handshake
apart from the TCP connect, hides the certificate behind its connector, and spends its time in
machinery a monitor does not use (cookie jar, connection pool, response objects, trace
signals). Here each phase is a plain await on the event loop, so the timings are exact:
`loop.getaddrinfo` (or the `resolve` override, or a given `resolver`),
`loop.create_connection`, `loop.start_tls`, then a small HTTP/1.1 parser (`ResponseReader`)
that understands Content-Length, chunked encoding, 1xx interim answers and close-delimited
bodies, reads at most `body_cap` bytes and searches the keyword incrementally, so an endless
body neither hangs a check nor fills memory. Nothing is kept between checks but the SSL
contexts (made once per process); each check opens and closes its own connection, as a visitor
arriving once a minute would.

The modules: `probe_target` (error classes, limits, the result, the URL a check requests),
`probe_tls` (contexts, certificate facts, TLS failures), `probe_http` (the response reader),
and this one (the phases, their deadlines, redirects and the verdict).

Why a phase that runs out is reported as that phase's timeout and never hangs the check: one
loop timer (`_Deadline`) is moved from phase to phase to the earlier of the phase's own limit
and the total's, and cancels the task where it waits; `passed()` tells that cancellation
from one asked from outside, which is re-raised (the engine's shutdown still works).

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
import datetime as dt
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

from xuala.sentry.probe_http import ResponseReader
from xuala.sentry.probe_target import (
    DEFAULT_BODY_CAP,
    DEFAULT_TIMEOUTS,
    ERROR_CLASSES,
    REDIRECT_STATUSES,
    CheckFailed,
    CheckResult,
    InvalidURL,
    PhaseTimeouts,
    Target,
    is_ip,
    parse_target,
    target_of,
)
from xuala.sentry.probe_tls import (
    default_ssl_context,
    refused_certificate,
    tls_failure,
    verified_certificate,
)

# The probe's public names: callers import them from here, wherever they are defined.
__all__ = ["DEFAULT_BODY_CAP", "DEFAULT_TIMEOUTS", "ERROR_CLASSES", "CheckResult", "InvalidURL",
           "PhaseTimeouts", "check", "parse_target"]


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



Resolver = Callable[[str, int], Awaitable[list[str]]]


def _resolve_known(host: str, resolve: dict[str, str] | None) -> list[str] | None:
    """The address of an IP literal or of a name in the ``resolve`` overrides, else None."""
    if is_ip(host):
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


async def _connect(addresses: list[str], port: int, protocol: ResponseReader,
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



async def _fetch(target: Target, result: CheckResult, clock: _Clock, *,
                 body_cap: int, keyword: str | None, want_body: bool,
                 resolve: dict[str, str] | None, resolver: Resolver | None,
                 ssl_context: ssl.SSLContext | None,
                 certificates: list[dict[str, Any]]) -> ResponseReader:
    """One request/response; fills the phase marks of `result.timings`."""
    loop = clock.loop
    timings = result.timings
    for name in ("dns", "connect", "tls", "ttfb"):
        timings[name] = None
    transport = None
    protocol = ResponseReader(loop, body_cap, keyword)
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
                failure = tls_failure(exc, server_name)
                transport = None  # start_tls closed it
                if isinstance(exc, ssl.SSLCertVerificationError):
                    deadline.stop()  # the fetch below has its own
                    result.certificate = await refused_certificate(
                        address, target.port, server_name, clock.phase("tls"), loop)
                raise failure from None
            protocol.transport = transport
            timings["tls"] = clock.ms()
            certificate = verified_certificate(transport)
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
    target = target_of(url, host_header)
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
