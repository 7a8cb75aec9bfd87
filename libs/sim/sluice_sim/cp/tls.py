"""A throw-away self-signed certificate for the simulator's HTTPS listener.

Clients pin ``cert_path`` (it is its own CA), the way a Client Portal Gateway's self-signed
certificate is pinned in production instead of switching verification off.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """Where the PEM files live; ``cert_path`` doubles as the CA file clients verify against."""

    cert_path: Path
    key_path: Path


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def generate_self_signed(
    hostnames: Iterable[str] = ("localhost", "127.0.0.1"), directory: Path | None = None
) -> TlsMaterial:
    """Write a fresh EC key and a 2-day certificate valid for ``hostnames``; return the paths."""
    names = list(dict.fromkeys(hostnames))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    target = directory or Path(tempfile.mkdtemp(prefix="sluice-cp-tls-"))
    cert_path, key_path = target / "cp-sim.crt", target / "cp-sim.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return TlsMaterial(cert_path=cert_path, key_path=key_path)
