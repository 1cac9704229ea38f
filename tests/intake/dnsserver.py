"""A tiny authoritative DNS server on loopback: the network edge for the mail-auth tests.

    with ZoneServer({"cliente-demo.es": {"TXT": ["v=spf1 ip4:192.0.2.10 -all"]}}) as server:
        verify_sender(..., resolver=server.resolver())

The zone maps a name (no trailing dot) to {record type: [values]}: TXT values are strings
(split into 255-byte character strings as DNS requires), A/AAAA addresses, MX
(preference, exchange) pairs. Names not in the zone answer NXDOMAIN; the zone may be changed
while the server runs.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.nameserver
import dns.resolver
from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

Zone = dict[str, dict[str, list]]


class _ZoneResolver(BaseResolver):
    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.queries: list[tuple[str, str]] = []

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        self.queries.append((name, qtype))
        records = self.zone.get(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for value in records.get(qtype, []):
            reply.add_answer(RR(name, request.q.qtype, rdata=_rdata(qtype, value), ttl=60))
        return reply


def _rdata(qtype: str, value):
    if qtype == "TXT":
        data = value.encode() if isinstance(value, str) else value
        return TXT([data[i:i + 255] for i in range(0, len(data), 255)] or [b""])
    if qtype == "A":
        return A(value)
    if qtype == "AAAA":
        return AAAA(value)
    if qtype == "MX":
        preference, exchange = value
        return MX(exchange, preference)
    raise ValueError(f"record type {qtype} is not served by the test DNS server")


class ZoneServer:
    """Serves ``zone`` over UDP on 127.0.0.1 at a free port while the context is open."""

    def __init__(self, zone: Zone | None = None) -> None:
        self.zone: Zone = zone if zone is not None else {}
        self._resolver = _ZoneResolver(self.zone)
        self._server: DNSServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def queries(self) -> list[tuple[str, str]]:
        return self._resolver.queries

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def resolver(self) -> dns.resolver.Resolver:
        return resolver_for(self.port)

    def start(self) -> ZoneServer:
        quiet = DNSLogger(log="-recv,-send,-request,-reply,-truncated,-error,-data", prefix=False)
        self._server = DNSServer(self._resolver, address="127.0.0.1", port=0, logger=quiet)
        self.port = self._server.server.server_address[1]
        self._thread = threading.Thread(target=self._server.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.server.shutdown()
            self._server.server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> ZoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def resolver_for(port: int, host: str = "127.0.0.1") -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port)]
    return resolver


@contextmanager
def silent_server() -> Iterator[int]:
    """A UDP port that receives queries and never answers: every lookup times out."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def swallow() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                sock.recv(4096)
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        sock.close()


def closed_port() -> int:
    """A loopback UDP port nobody listens on (queries are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
