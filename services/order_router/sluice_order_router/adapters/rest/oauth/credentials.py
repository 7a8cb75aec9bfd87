"""The consumer's OAuth credentials, read from one directory (e.g. a mounted Kubernetes Secret).

Key material never appears in a repr, a log line or an error message: errors name files only.
"""

from __future__ import annotations

import base64
import binascii
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.utils import CryptographyDeprecationWarning

# cryptography deprecates finite-field DH for key exchange; IBKR's protocol is built on it, and
# here the library only parses the prime and generator (the maths is in ``dh``).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from cryptography.hazmat.primitives.asymmetric.dh import DHParameters
    from cryptography.hazmat.primitives.serialization import load_pem_parameters

from sluice_order_router.domain.topology import OAUTH_FILES

from .dh import DhGroup
from .lst import decrypt_prepend

FILES = OAUTH_FILES
"""The files IBKR's self-service portal (and ``openssl``) give a first-party consumer; the same
list the settings' topology check looks for."""
CONSUMER_KEY, ACCESS_TOKEN, ACCESS_TOKEN_SECRET, SIGNATURE_KEY, ENCRYPTION_KEY, DH_PARAMS = FILES


class OAuthConfigError(ValueError):
    """The credentials directory is unusable; one entry per bad file, never any content."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class OAuthCredentials:
    """What signing needs; the secrets are kept out of ``repr``."""

    consumer_key: str
    access_token: str = field(repr=False)
    realm: str
    signature_key: RSAPrivateKey = field(repr=False)
    prepend: str = field(repr=False)
    """The decrypted access-token secret as hex (the LST request's prepend and HMAC message)."""
    dh_group: DhGroup = field(repr=False)


class _Reader:
    """Reads each file once, collecting every problem instead of stopping at the first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.problems: list[str] = []

    def raw(self, name: str) -> bytes | None:
        path = self.directory / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.problems.append(f"{name}: missing in {self.directory}")
            return None
        except OSError as exc:
            self.problems.append(f"{name}: unreadable ({exc.strerror or type(exc).__name__})")
            return None
        if not data.strip():
            self.problems.append(f"{name}: empty")
            return None
        return data

    def text(self, name: str) -> str | None:
        data = self.raw(name)
        if data is None:
            return None
        try:
            return data.decode("ascii").strip()
        except UnicodeDecodeError:
            self.problems.append(f"{name}: not ASCII text")
            return None

    def rsa_key(self, name: str) -> RSAPrivateKey | None:
        data = self.raw(name)
        if data is None:
            return None
        try:
            key = load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            key = None  # the library's message could quote the file: say it in our words
        if not isinstance(key, RSAPrivateKey):
            self.problems.append(f"{name}: not an unencrypted RSA private key in PEM")
            return None
        return key

    def dh_group(self, name: str) -> DhGroup | None:
        data = self.raw(name)
        if data is None:
            return None
        try:
            params = load_pem_parameters(data)
        except (ValueError, TypeError):
            params = None
        if not isinstance(params, DHParameters):
            self.problems.append(f"{name}: not PEM DH PARAMETERS (openssl dhparam)")
            return None
        numbers = params.parameter_numbers()
        return DhGroup(p=numbers.p, g=numbers.g)

    def prepend(self, secret_b64: str | None, key: RSAPrivateKey | None) -> str | None:
        if secret_b64 is None:
            return None
        try:
            base64.b64decode(secret_b64, validate=True)
        except (binascii.Error, ValueError):
            self.problems.append(f"{ACCESS_TOKEN_SECRET}: not base64")
            return None
        if key is None:
            return None
        try:
            return decrypt_prepend(key, secret_b64)
        except ValueError:
            self.problems.append(
                f"{ACCESS_TOKEN_SECRET}: cannot be decrypted with {ENCRYPTION_KEY}"
                " (a key or secret from another consumer?)"
            )
            return None


def load_credentials(directory: Path, realm: str) -> OAuthCredentials:
    """Read and check the six files in ``directory`` (text files lose trailing whitespace);
    ``OAuthConfigError`` lists every missing or unusable file at once."""
    read = _Reader(directory)
    if not directory.is_dir():
        raise OAuthConfigError([f"{directory}: not a directory (expected {', '.join(FILES)})"])
    consumer_key = read.text(CONSUMER_KEY)
    access_token = read.text(ACCESS_TOKEN)
    secret = read.text(ACCESS_TOKEN_SECRET)
    signature_key = read.rsa_key(SIGNATURE_KEY)
    encryption_key = read.rsa_key(ENCRYPTION_KEY)
    group = read.dh_group(DH_PARAMS)
    prepend = read.prepend(secret, encryption_key)
    if read.problems:
        raise OAuthConfigError(read.problems)
    assert consumer_key and access_token and signature_key and prepend is not None and group
    return OAuthCredentials(
        consumer_key=consumer_key,
        access_token=access_token,
        realm=realm,
        signature_key=signature_key,
        prepend=prepend,
        dh_group=group,
    )
