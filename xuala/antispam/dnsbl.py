"""DNS block-list look-ups through a configurable resolver (dnspython), for the `dnsbl` rule."""

from __future__ import annotations

from collections.abc import Callable

import dns.exception
import dns.resolver


def dnsbl_lookup(*, nameservers: list[str] | None = None, port: int = 53,
                 timeout: float = 0.5) -> Callable[[str], bool]:
    """A function that says whether a block-list name resolves to an A record (listed).

    Timeouts and resolver errors count as "not listed": a slow block list must not
    turn a visitor's comment into spam.
    """
    resolver = dns.resolver.Resolver(configure=nameservers is None)
    if nameservers is not None:
        resolver.nameservers = nameservers
    resolver.port = port
    resolver.lifetime = timeout
    resolver.timeout = timeout

    def listed(name: str) -> bool:
        try:
            answer = resolver.resolve(name, "A")
        except (dns.exception.DNSException, OSError):
            return False
        return any(str(record).startswith("127.") for record in answer)

    return listed
