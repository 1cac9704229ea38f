"""Sender authentication for inbound mail: DKIM, SPF and DMARC, or a trusted MTA's word.

`verify_sender` answers one question: is the domain in the From header proven? Proof is a
DMARC pass (an aligned DKIM signature or an aligned SPF pass), or, when the domain publishes
no DMARC record, an aligned DKIM pass or an SPF pass for the From domain. When the company's
own MTA has already checked (its Authentication-Results header at the top of the message,
named by an authserv-id listed in XUALA_TRUSTED_AUTHSERV_IDS), its verdict is used instead.

The answer never raises: DNS time-outs and failures give an unauthenticated verdict with the
reason "temperror", which the pipeline holds for a later look, and anything unexpected fails
closed (not authenticated).

Organisational domains (for relaxed alignment and the DMARC fallback lookup) come from the
Public Suffix List as the ``publicsuffixlist`` package ships it (updated monthly), its ICANN
and private sections both: the organisational domain is the public suffix plus one label
(``victim.org.mx``, ``alice.github.io``), so two names under one public suffix are never
aligned with each other. A name that is itself a public suffix is its own organisational
domain.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import authres
import dkim
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver
import spf
from django.conf import settings
from publicsuffixlist import PublicSuffixList

from xuala.env import parse_hostport

if TYPE_CHECKING:
    from xuala.intake.parse import ParsedMail

log = logging.getLogger("xuala.intake.auth")

# Seconds for one DNS lookup (all retries included), for the SPF evaluation, and for all the
# lookups of one message together (a dead resolver must not stall the intake for long).
DNS_TIMEOUT = 2.0
SPF_BUDGET = 6.0
TOTAL_DNS_BUDGET = 8.0
# A message with more signatures than this is judged on the first ones only.
MAX_DKIM_SIGNATURES = 5



@dataclass
class AuthVerdict:
    authenticated: bool
    method: str  # "trusted-ar", "dmarc", "dkim", "spf", "none"
    details: dict[str, str] = field(default_factory=dict)


def verify_sender(raw: bytes, parsed: ParsedMail, *, client_ip: str | None, helo: str | None,
                  mail_from: str | None,
                  resolver: dns.resolver.Resolver | None = None) -> AuthVerdict:
    """Say whether the From domain of ``raw`` is proven; never raises."""
    if settings.XUALA_MAIL_AUTH == "off":
        return AuthVerdict(True, "none", {"reason": "checks disabled"})
    from_domain = _domain_of(parsed.from_address)
    if not from_domain:
        return AuthVerdict(False, "none", {"reason": "no From address"})
    try:
        trusted = _trusted_verdict(parsed.authentication_results, from_domain)
        if trusted is not None:
            return trusted
        if resolver is None:
            resolver = _configured_resolver()
        return _own_verdict(raw, from_domain, client_ip=client_ip, helo=helo,
                            mail_from=mail_from, lookup=_Lookup(resolver))
    except dns.resolver.NoResolverConfiguration:
        return AuthVerdict(False, "none", {"from_domain": from_domain, "reason": "temperror"})
    except Exception:
        # Hostile input must not take the intake down; an unproven sender is simply held.
        log.exception("sender verification failed for %s", from_domain)
        return AuthVerdict(False, "none", {"from_domain": from_domain, "reason": "error"})


@functools.cache
def _suffix_list() -> PublicSuffixList:
    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    """The registrable part of ``domain`` by the Public Suffix List (see the module docstring)."""
    name = domain.lower().strip().rstrip(".")
    return _suffix_list().privatesuffix(name) or name


def aligned(domain: str, from_domain: str, *, strict: bool = False) -> bool:
    """DMARC identifier alignment: equal names (strict) or the same organisational domain."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    if strict:
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


def _domain_of(address: str | None) -> str:
    """The domain of an address ("" without one); a bare "@domain" (header.i) works too."""
    _, at, domain = (address or "").strip().strip("<>").rpartition("@")
    return domain.lower().rstrip(".") if at else ""


# --- A trusted MTA's Authentication-Results ---------------------------------------------------


def _trusted_verdict(headers: list[str], from_domain: str) -> AuthVerdict | None:
    """The verdict of the trusted MTA's headers at the top of the message, if there are any.

    Only the unbroken run of Authentication-Results headers at the top whose authserv-id is
    trusted counts: the first header from anyone else ends it, since everything below could
    have been written by the sender. Within the run, each method is judged from the topmost
    header that reports it (a copy of our authserv-id forged lower down loses to ours).
    """
    trusted_ids = {i.lower() for i in settings.XUALA_TRUSTED_AUTHSERV_IDS}
    if not trusted_ids:
        return None
    by_method: dict[str, list[authres.AuthenticationResult]] = {}
    in_run = False
    for value in headers:
        header = _parse_authentication_results(value)
        if header is None or str(header.authserv_id).lower() not in trusted_ids:
            break
        in_run = True
        reported: dict[str, list[authres.AuthenticationResult]] = {}
        for result in header.results:
            reported.setdefault(str(result.method).lower(), []).append(result)
        for method, results in reported.items():
            by_method.setdefault(method, results)
    if not in_run:
        return None

    details = {"from_domain": from_domain}
    temporary = False
    for method in ("dmarc", "dkim", "spf"):
        results = by_method.get(method, [])
        if results:
            details[method] = str(results[0].result).lower()
        temporary |= any(str(r.result).lower() == "temperror" for r in results)

    for result in by_method.get("dmarc", []):
        header_from = _property(result, "header", "from")
        if header_from and header_from.lower() != from_domain:
            continue  # the MTA judged another domain than the one we read
        outcome = str(result.result).lower()
        if outcome == "pass":
            return AuthVerdict(True, "trusted-ar", details)
        if outcome == "fail":
            return AuthVerdict(False, "trusted-ar", {**details, "reason": "dmarc fail"})
    for result in by_method.get("dkim", []):
        signer = _property(result, "header", "d") or _domain_of(_property(result, "header", "i"))
        if str(result.result).lower() == "pass" and aligned(signer, from_domain):
            return AuthVerdict(True, "trusted-ar", details)
    for result in by_method.get("spf", []):
        envelope = _domain_of(_property(result, "smtp", "mailfrom"))
        if str(result.result).lower() == "pass" and aligned(envelope, from_domain):
            return AuthVerdict(True, "trusted-ar", details)
    reason = "temperror" if temporary else "no aligned pass from the trusted MTA"
    return AuthVerdict(False, "trusted-ar", {**details, "reason": reason})


def _parse_authentication_results(value: str) -> authres.AuthenticationResultsHeader | None:
    try:
        return authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
    except Exception:  # authres raises assorted errors on malformed input
        return None


def _property(result: authres.AuthenticationResult, ptype: str, name: str) -> str:
    for prop in result.properties:
        if str(prop.type).lower() == ptype and str(prop.name).lower() == name:
            return str(prop.value or "").strip().strip('"')
    return ""


# --- Our own checks ---------------------------------------------------------------------------


def _configured_resolver() -> dns.resolver.Resolver:
    servers = list(settings.XUALA_DNS_SERVERS)
    if not servers:
        return dns.resolver.Resolver()
    resolver = dns.resolver.Resolver(configure=False)
    nameservers: list[dns.nameserver.Nameserver] = []
    for server in servers:
        if server.startswith("[") or server.count(":") == 1:
            host, port = parse_hostport(server, name="XUALA_DNS_SERVERS")
        else:
            host, port = server, 53  # an address without a port (IPv6 when it has colons)
        nameservers.append(dns.nameserver.Do53Nameserver(host, port))
    resolver.nameservers = nameservers
    return resolver


class _Lookup:
    """DNS queries through one resolver, noting whether any failed for a temporary reason."""

    def __init__(self, resolver: dns.resolver.Resolver, *,
                 budget: float = TOTAL_DNS_BUDGET) -> None:
        self.resolver = resolver
        self.temporary_failures: list[str] = []
        self.deadline = time.monotonic() + budget

    def records(self, name: str, rdtype: str, *, timeout: float = DNS_TIMEOUT) -> list:
        """The records of ``rdtype`` at ``name``; [] when there are none; TemporaryDNSError
        when the answer could not be had."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.temporary_failures.append(f"{rdtype} {name}: over the time budget")
            raise TemporaryDNSError(name)
        try:
            answer = self.resolver.resolve(
                name, rdtype, lifetime=min(timeout, DNS_TIMEOUT, remaining), search=False,
                raise_on_no_answer=False,
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers,
                dns.resolver.NoResolverConfiguration) as exc:
            self.temporary_failures.append(f"{rdtype} {name}: {exc.__class__.__name__}")
            raise TemporaryDNSError(name) from exc
        except (dns.exception.DNSException, ValueError):
            return []  # a malformed name (from a hostile header) has no records
        return list(answer.rrset or [])

    def txt(self, name: str, *, timeout: float = DNS_TIMEOUT) -> list[bytes]:
        return [b"".join(r.strings) for r in self.records(name, "TXT", timeout=timeout)]

    def dkim_key(self, name: bytes | str, timeout: float = DNS_TIMEOUT) -> bytes | None:
        """dkimpy's ``dnsfunc``: the first TXT string at ``name``, or None."""
        if isinstance(name, bytes):
            try:
                name = name.decode("ascii")
            except UnicodeDecodeError:
                return None
        try:
            records = self.txt(name, timeout=timeout)
        except TemporaryDNSError as exc:
            raise dkim.DnsTimeoutError(str(exc)) from exc
        return records[0] if records else None

    def spf_lookup(self, name: str, qtype: str, strict: object = True,
                   timeout: float = DNS_TIMEOUT) -> list:
        """pyspf's ``DNSLookup``: [((name, qtype), value)] as its dnspython driver returns."""
        try:
            records = self.records(name, qtype, timeout=timeout)
        except TemporaryDNSError as exc:
            raise spf.TempError(f"DNS {exc}") from exc
        found = []
        for rdata in records:
            if qtype in ("A", "AAAA"):
                value = rdata.address
            elif qtype == "MX":
                value = (rdata.preference, rdata.exchange)
            elif qtype == "PTR":
                value = rdata.target.to_text(True)
            elif qtype in ("TXT", "SPF"):
                value = rdata.strings
            else:
                continue
            found.append(((name, qtype), value))
        return found


class TemporaryDNSError(Exception):
    """A DNS answer could not be had (time-out, server failure, no server)."""


def _own_verdict(raw: bytes, from_domain: str, *, client_ip: str | None, helo: str | None,
                 mail_from: str | None, lookup: _Lookup) -> AuthVerdict:
    dkim_result, signers = _check_dkim(raw, lookup)
    spf_result, spf_domain = _check_spf(client_ip=client_ip, helo=helo, mail_from=mail_from,
                                        lookup=lookup)
    details = {"from_domain": from_domain, "dkim": dkim_result, "spf": spf_result}
    if signers:
        details["dkim_domain"] = ",".join(signers)
    if spf_domain:
        details["spf_domain"] = spf_domain
    has_pass = bool(signers) or spf_result == "pass"
    if not has_pass and lookup.temporary_failures:
        # Nothing can pass; a DMARC lookup would only cost another time-out.
        return AuthVerdict(False, "none", {**details, "reason": "temperror"})

    try:
        record, record_domain = _dmarc_record(from_domain, lookup)
    except TemporaryDNSError:
        return AuthVerdict(False, "none", {**details, "dmarc": "temperror", "reason": "temperror"})

    if record is not None:
        is_subdomain = record_domain != from_domain
        details["dmarc_policy"] = record.get("sp" if is_subdomain else "p", record.get("p", ""))
        strict_dkim = record.get("adkim", "r") == "s"
        strict_spf = record.get("aspf", "r") == "s"
        dkim_aligned = any(aligned(d, from_domain, strict=strict_dkim) for d in signers)
        spf_aligned = spf_result == "pass" and aligned(spf_domain, from_domain, strict=strict_spf)
        if dkim_aligned or spf_aligned:
            return AuthVerdict(True, "dmarc", {**details, "dmarc": "pass"})
        reason = "temperror" if lookup.temporary_failures else "dmarc fail"
        return AuthVerdict(False, "dmarc", {**details, "dmarc": "fail", "reason": reason})

    details["dmarc"] = "none"
    if any(aligned(d, from_domain) for d in signers):
        return AuthVerdict(True, "dkim", details)
    if spf_result == "pass" and aligned(spf_domain, from_domain):
        return AuthVerdict(True, "spf", details)
    reason = "temperror" if lookup.temporary_failures else "no aligned pass"
    return AuthVerdict(False, "none", {**details, "reason": reason})


def _check_dkim(raw: bytes, lookup: _Lookup) -> tuple[str, list[str]]:
    """("pass" | "fail" | "none" | "temperror" | "permerror", domains whose signature passed)."""
    try:
        checker = dkim.DKIM(raw, timeout=DNS_TIMEOUT, logger=log)
    except dkim.DKIMException:
        return "permerror", []
    count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    if not count:
        return "none", []
    signers: list[str] = []
    failures_before = len(lookup.temporary_failures)
    for idx in range(min(count, MAX_DKIM_SIGNATURES)):
        try:
            passed = checker.verify(idx=idx, dnsfunc=lookup.dkim_key)
        except dkim.DKIMException:
            passed = False
        if passed:
            signers.append(checker.domain.decode("ascii", "replace").lower())
    if signers:
        return "pass", sorted(set(signers))
    if len(lookup.temporary_failures) > failures_before:
        return "temperror", []
    return "fail", []


_spf_lookup: contextvars.ContextVar[_Lookup | None] = contextvars.ContextVar(
    "xuala_spf_lookup", default=None)
_spf_default_lookup = getattr(spf, "DNSLookup_dnspython", spf.DNSLookup)


def _spf_dns_lookup(name, qtype, strict=True, timeout=DNS_TIMEOUT):
    """Installed as pyspf's DNSLookup: our resolver during a check, pyspf's own otherwise."""
    lookup = _spf_lookup.get()
    if lookup is None:
        return _spf_default_lookup(name, qtype, strict, timeout)
    return lookup.spf_lookup(name, qtype, strict, timeout)


def _check_spf(*, client_ip: str | None, helo: str | None, mail_from: str | None,
               lookup: _Lookup) -> tuple[str, str]:
    """(SPF result, the domain it speaks for). An empty envelope sender checks the HELO name."""
    sender = (mail_from or "").strip().strip("<>")
    identity = _domain_of(sender) if sender else (helo or "").strip().lower().rstrip(".")
    if not client_ip or not identity:
        return "none", ""
    # pyspf resolves through its module-level DNSLookup; routing it through a context variable
    # keeps concurrent checks (threads, tasks) on their own resolvers.
    spf.DNSLookup = _spf_dns_lookup
    token = _spf_lookup.set(lookup)
    try:
        result, _explanation = spf.check2(i=client_ip, s=sender, h=helo or identity,
                                          timeout=DNS_TIMEOUT, querytime=SPF_BUDGET)
    except Exception:  # pyspf raises on some malformed inputs (bad IP, odd names)
        return "permerror", identity
    finally:
        _spf_lookup.reset(token)
    return str(result).lower(), identity


def _dmarc_record(from_domain: str, lookup: _Lookup) -> tuple[dict[str, str] | None, str]:
    """The DMARC record for ``from_domain`` (or its organisational domain) and where it was."""
    candidates = [from_domain]
    org = organisational_domain(from_domain)
    if org != from_domain:
        candidates.append(org)
    for domain in candidates:
        records = [r for r in _decoded(lookup.txt(f"_dmarc.{domain}"))
                   if r.replace(" ", "").lower().startswith("v=dmarc1")]
        if len(records) == 1:
            return _dmarc_tags(records[0]), domain
        # None, or several (RFC 7489 §6.6.3: then there is no usable record here).
    return None, ""


def _decoded(records: list[bytes]) -> Iterator[str]:
    for record in records:
        yield record.decode("utf-8", "replace")


def _dmarc_tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags[key.strip().lower()] = value.strip().lower()
    return tags
