"""Mutual TLS for the secure local cluster: a cluster CA, the brokers' certificate and one client
certificate per principal, made with ``cryptography`` and kept in the cluster's state directory.

Layout of ``<secure broker dir>/tls`` (0700): ``ca.pem`` and ``ca.key`` (the CA), ``broker.pem``
(the brokers' key, certificate and the CA certificate in one file, as Kafka's
``ssl.keystore.type=PEM`` wants), ``clients/<principal>.pem`` and ``.key``. Everything is made on
first use and reused while it is valid and issued by the current CA; key files are 0600 and every
file is written atomically, under a lock, so two commands never mix a key with another's certificate.

Keys are unencrypted PKCS#8: Kafka 4.3 reads such a key from a PEM keystore file without
``ssl.key.password``, while on Java 17 it cannot decrypt the PBES2 keys ``cryptography`` writes.
Like the SCRAM store, owner-only files are what protect them.
"""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.credentials import PRINCIPAL_PATTERN, CredentialError
from infra.files import write_atomically
from infra.security import ListenerTls

CA_VALIDITY = datetime.timedelta(days=3650)
LEAF_VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=1)
"""A certificate expiring sooner than this is issued again rather than reused."""
ORGANIZATION = "Pentameter local cluster"
BROKER_HOSTS = ("localhost",)
BROKER_IPS = ("127.0.0.1",)
"""The brokers' names, so clients' default hostname verification (librdkafka: ``https``) passes."""


@dataclass(frozen=True)
class ClientFiles:
    """What a client needs for mutual TLS: the CA to trust, its certificate and its key."""

    ca: Path
    certificate: Path
    key: Path


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = _now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate a little clock skew
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _leaf_usage(usage: x509.ObjectIdentifier) -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        ),
        (x509.ExtendedKeyUsage([usage]), False),
    ]


class ClusterTls:
    """The CA of one cluster and the certificates it issues, kept under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.directory / "ca.key"

    @property
    def broker_file(self) -> Path:
        return self.directory / "broker.pem"

    def client_files(self, principal: str) -> ClientFiles:
        """Where ``principal``'s files are (or would be); refuses a name that is no principal."""
        if not PRINCIPAL_PATTERN.match(principal):
            raise CredentialError(f"{principal!r} is not a valid principal name")
        clients = self.directory / "clients"
        return ClientFiles(self.ca_file, clients / f"{principal}.pem", clients / f"{principal}.key")

    # -- issuing -------------------------------------------------------------------------------
    def ensure_broker(self) -> ListenerTls:
        """The brokers' PEM keystore and the CA they verify clients with, made when missing."""
        with self._locked():
            ca_key, ca = self._ca()
            if self._reusable(self.broker_file, self.broker_file, ca) is None:
                key = _new_key()
                sans: list[x509.GeneralName] = [x509.DNSName(h) for h in BROKER_HOSTS]
                sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in BROKER_IPS]
                builder = _builder(_name("localhost", ORGANIZATION), ca.subject, key)
                builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
                cert = self._sign(builder, ca_key, ca, _leaf_usage(ExtendedKeyUsageOID.SERVER_AUTH))
                write_atomically(self.broker_file, _key_pem(key) + _cert_pem(cert) + _cert_pem(ca), 0o600)
        return ListenerTls(keystore=self.broker_file, truststore=self.ca_file)

    def ensure_client(self, principal: str) -> ClientFiles:
        """``principal``'s certificate (subject ``CN=<principal>``) and key, issued when missing."""
        files = self.client_files(principal)
        with self._locked():
            ca_key, ca = self._ca()
            if self._reusable(files.certificate, files.key, ca) is None:
                files.certificate.parent.mkdir(mode=0o700, exist_ok=True)
                key = _new_key()
                builder = _builder(_name(principal), ca.subject, key)
                cert = self._sign(builder, ca_key, ca, _leaf_usage(ExtendedKeyUsageOID.CLIENT_AUTH))
                write_atomically(files.key, _key_pem(key), 0o600)
                write_atomically(files.certificate, _cert_pem(cert), 0o644)
        return files

    def remove_client(self, principal: str) -> bool:
        """Delete ``principal``'s certificate and key; False when there were none."""
        files = self.client_files(principal)
        with self._locked():
            found = False
            for path in (files.certificate, files.key):
                if path.exists():
                    path.unlink()
                    found = True
        return found

    # -- internals -----------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One issuer at a time (``creds show`` and ``broker up`` may run together)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        fd = os.open(self.directory / ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _ca(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """The CA's key and certificate, made on first use (self-signed, may sign, no more)."""
        if self.ca_file.exists() and self.ca_key_file.exists():
            key = serialization.load_pem_private_key(self.ca_key_file.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(self.ca_file.read_bytes())
            lasting = cert.not_valid_after_utc > _now() + LEAF_VALIDITY  # outlives what it signs
            if isinstance(key, ec.EllipticCurvePrivateKey) and lasting:
                return key, cert
        key = _new_key()
        name = _name("Pentameter cluster CA", ORGANIZATION)
        usage = x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        cert = (
            _builder(name, name, key)
            .not_valid_after(_now() + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256())
        )
        write_atomically(self.ca_key_file, _key_pem(key), 0o600)
        write_atomically(self.ca_file, _cert_pem(cert), 0o644)
        return key, cert

    @staticmethod
    def _sign(
        builder: x509.CertificateBuilder,
        ca_key: ec.EllipticCurvePrivateKey,
        ca: x509.Certificate,
        extensions: list[tuple[x509.ExtensionType, bool]],
    ) -> x509.Certificate:
        ca_id = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.not_valid_after(_now() + LEAF_VALIDITY).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_id), critical=False
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(ca_key, hashes.SHA256())

    @staticmethod
    def _reusable(cert_file: Path, key_file: Path, ca: x509.Certificate) -> x509.Certificate | None:
        """The stored certificate when it is the current CA's, not about to expire, and matches
        its key; None means issue a new one."""
        if not cert_file.exists() or not key_file.exists():
            return None
        try:
            cert = x509.load_pem_x509_certificates(cert_file.read_bytes())[0]
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
            cert.verify_directly_issued_by(ca)
        except (ValueError, TypeError, IndexError, InvalidSignature):
            return None
        if cert.not_valid_after_utc < _now() + RENEW_BEFORE or cert.public_key() != key.public_key():
            return None
        return cert
