"""The TLS side of a check: the client contexts and the certificate facts of the report.

Why a certificate failure is classified correctly: verification happens during the
handshake (the engine's trust store, or the caller's context), and ``tls_failure`` reads
OpenSSL's verify code: expired or not yet valid (codes 9 and 10) is ``certificate``;
anything else (unknown CA, self-signed, wrong name) is ``tls``. Only then, for the report,
``refused_certificate`` shakes hands again without verification to fetch the certificate
that was refused, within the check's own deadline. The facts of a verified certificate are
read from the dictionary OpenSSL decoded during the handshake and cached by issuer and serial
number (which name one certificate); ``days_left``, the only fact that depends on the day,
is recomputed on every check.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import math
import ssl
from typing import Any

from xuala.sentry.probe_target import CheckFailed

# OpenSSL verify codes that mean "the certificate's dates are wrong", not "untrusted".
_X509_V_ERR_CERT_NOT_YET_VALID = 9
_X509_V_ERR_CERT_HAS_EXPIRED = 10
_DATE_ERRORS = frozenset({_X509_V_ERR_CERT_NOT_YET_VALID, _X509_V_ERR_CERT_HAS_EXPIRED})


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


def verified_certificate(transport: asyncio.Transport) -> dict[str, Any] | None:
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



def tls_failure(exc: BaseException, server_name: str) -> CheckFailed:
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = f"certificate of {server_name} refused: {exc.verify_message}"
        if exc.verify_code in _DATE_ERRORS:
            return CheckFailed("certificate", message)
        return CheckFailed("tls", message)
    if isinstance(exc, ssl.SSLError):
        return CheckFailed("tls", f"TLS handshake with {server_name} failed: "
                                  f"{exc.reason or exc}")
    return CheckFailed("tls", f"TLS handshake with {server_name} failed: {exc!r}")


async def refused_certificate(address: str, port: int, server_name: str,
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

