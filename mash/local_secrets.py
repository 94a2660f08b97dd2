"""The local broker's secrets: a CA and the broker's certificate (PEM), and one random password
per principal, each file 0600 in a 0700 folder, created once."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["BrokerTls", "ensure_password", "private_dir", "scram_entry", "write_private"]

BROKER_DN = "CN=mash-broker"
"""The broker certificate's subject: the principal of the controller listener (TLS client
authentication), a super user."""
SCRAM_ITERATIONS = 8192


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that is 0600 from the moment it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


def ensure_password(secrets_dir: Path, name: str) -> str:
    """The password of principal ``name``, generated (and kept) the first time."""
    path = private_dir(secrets_dir) / f"{name}.password"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32).encode())
    return path.read_text(encoding="utf-8").strip()


def scram_entry(mechanism: str, name: str, password: str) -> str:
    """A ``StorageTool format --add-scram`` value holding the salted password only, so the
    password itself never appears in a process's arguments."""
    salt = secrets.token_bytes(24)
    digest = mechanism.removeprefix("SCRAM-SHA-")
    salted = hashlib.pbkdf2_hmac(f"sha{digest}", password.encode(), salt, SCRAM_ITERATIONS)
    b64 = base64.b64encode
    return (
        f"{mechanism}=[name={name},iterations={SCRAM_ITERATIONS},"
        f'salt="{b64(salt).decode()}",saltedpassword="{b64(salted).decode()}"]'
    )


@dataclass(frozen=True)
class BrokerTls:
    """The PEM files of the local broker's TLS: the CA's certificate (what clients trust),
    its key, and the broker's key with its certificate chain (Kafka's PEM keystore)."""

    dir: Path

    @property
    def ca_cert(self) -> Path:
        """The CA certificate, PEM."""
        return self.dir / "ca.pem"

    @property
    def ca_key(self) -> Path:
        """The CA's private key, PEM (PKCS#8)."""
        return self.dir / "ca.key"

    @property
    def keystore(self) -> Path:
        """The broker's private key (PKCS#8) and certificate chain, PEM."""
        return self.dir / "broker.pem"

    def ensure(self) -> None:
        """Create the CA and the broker certificate unless they exist."""
        if self.keystore.exists() and self.ca_cert.exists():
            return
        private_dir(self.dir)
        ca_key, ca_cert = _ca()
        key, cert = _signed(ca_key, ca_cert)
        write_private(self.ca_key, _pem_key(ca_key))
        write_private(self.ca_cert, _pem_cert(ca_cert))
        write_private(self.keystore, _pem_key(key) + _pem_cert(cert) + _pem_cert(ca_cert))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("MASH Hub local CA"))
        .issuer_name(_name("MASH Hub local CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _signed(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    sans = [
        x509.DNSName("localhost"),
        x509.DNSName("kafka"),  # the broker's name in docker-compose.yml
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(BROKER_DN.removeprefix("CN=")))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return bytes(cert.public_bytes(serialization.Encoding.PEM))
