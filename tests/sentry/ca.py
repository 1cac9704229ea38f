"""A throw-away certificate authority for the Sentry tests: a root and the farm's leaf certificates.

Keys are ECDSA P-256: quick to make (a whole CA in a few milliseconds) and quick to handshake,
so the farm can serve thousands of HTTPS checks a second. Nothing here is secret or reused:
every `TestCA()` makes new keys in memory and writes PEM files to a directory only on request.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "Xuala Sentry Test CA"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Xuala Sentry Tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


@dataclass(frozen=True)
class Leaf:
    """A certificate with its key, as PEM bytes, ready for `load_cert_chain` (via files)."""

    cert_pem: bytes
    key_pem: bytes
    not_before: dt.datetime
    not_after: dt.datetime

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        cert_path.write_bytes(self.cert_pem)
        key_path.write_bytes(self.key_pem)
        return cert_path, key_path

    def server_context(self, directory: Path, stem: str) -> ssl.SSLContext:
        """A server-side SSL context serving this certificate."""
        cert_path, key_path = self.write(directory, stem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context


class TestCA:
    """A root certificate authority that issues leaf certificates with chosen names and dates."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, name: str = CA_NAME) -> None:
        self.name = name
        self.key = _key()
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=30))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                           critical=False)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write_ca(self, path: Path) -> Path:
        path.write_bytes(self.cert_pem)
        return path

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this CA only."""
        context = ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))
        return context

    def issue(self, names: list[str], *, not_before: dt.datetime | None = None,
              not_after: dt.datetime | None = None, days: float | None = None,
              self_signed: bool = False) -> Leaf:
        """A leaf certificate for `names` (first is the subject CN), valid between the dates.

        `days` sets not_after relative to now (negative: already expired); `self_signed` signs
        the leaf with its own key, so no trusted CA vouches for it.
        """
        now = dt.datetime.now(dt.UTC)
        not_before = not_before or now - dt.timedelta(days=1)
        if not_after is None:
            not_after = now + dt.timedelta(days=90 if days is None else days)
        key = _key()
        subject = _name(names[0])
        issuer_name, signing_key = (subject, key) if self_signed else (self.cert.subject,
                                                                        self.key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
        )
        if not self_signed:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False)
        cert = builder.sign(signing_key, hashes.SHA256())
        return Leaf(
            cert_pem=cert.public_bytes(serialization.Encoding.PEM),
            key_pem=key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()),
            not_before=not_before,
            not_after=not_after,
        )
