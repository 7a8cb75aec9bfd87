"""The OAuth 1.0a key material of one simulated IBKR consumer, generated at start.

IBKR's self-service portal holds the consumer's public signature key, the access token and its
secret; the consumer holds the private keys, the Diffie-Hellman prime and the access token secret
encrypted with its encryption key. The simulator plays the portal: it makes all of it up and can
write the consumer's six files (``IBKR_OAUTH_DIR``) so a client can be pointed at them. Nothing
here is ever committed: every simulator start makes fresh keys.
"""

from __future__ import annotations

import base64
import secrets
import string
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning

RFC3526_GROUP14_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
    16,
)
"""The 2048-bit MODP group of RFC 3526 (group 14): a well-known safe prime, so start-up does not
spend minutes generating one (``openssl dhparam 2048`` is what IBKR's users run)."""

CREDENTIAL_FILES = (
    "consumer_key",
    "access_token",
    "access_token_secret",
    "private_signature.pem",
    "private_encryption.pem",
    "dhparam.pem",
)
"""The files a client reads from ``IBKR_OAUTH_DIR``."""

_ALPHANUMERIC = string.ascii_letters + string.digits


def _random_text(length: int, alphabet: str = _ALPHANUMERIC) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True, slots=True)
class OAuthKeys:
    """One consumer's registration: what IBKR knows and what the consumer's files hold."""

    consumer_key: str
    access_token: str
    access_token_secret: bytes
    """The plain secret (IBKR's side); the consumer only holds it encrypted."""
    encrypted_access_token_secret: str
    """base64 of the secret RSA-encrypted (PKCS#1 v1.5) with the consumer's encryption key."""
    signature_key: rsa.RSAPrivateKey
    encryption_key: rsa.RSAPrivateKey
    dh_prime: int = RFC3526_GROUP14_PRIME
    dh_generator: int = 2

    @classmethod
    def generate(cls, consumer_key: str = "") -> OAuthKeys:
        """Fresh keys, token and secret (consumer key: 9 random capitals unless given)."""
        signature_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        encryption_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        secret = secrets.token_bytes(32)
        encrypted = encryption_key.public_key().encrypt(secret, padding.PKCS1v15())
        return cls(
            consumer_key=consumer_key or _random_text(9, string.ascii_uppercase),
            access_token=_random_text(20, string.ascii_lowercase + string.digits),
            access_token_secret=secret,
            encrypted_access_token_secret=base64.b64encode(encrypted).decode(),
            signature_key=signature_key,
            encryption_key=encryption_key,
        )

    @property
    def signature_public_key(self) -> rsa.RSAPublicKey:
        """The half the consumer uploaded to IBKR: verifies the live session token request."""
        return self.signature_key.public_key()

    def dhparam_pem(self) -> bytes:
        """``dhparam.pem`` ("DH PARAMETERS", PKCS#3), as ``openssl dhparam`` writes it."""
        # cryptography deprecates finite-field DH for key exchange; IBKR's protocol needs it,
        # and only the parameter file is written here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            numbers = dh.DHParameterNumbers(self.dh_prime, self.dh_generator)
            return numbers.parameters().parameter_bytes(
                serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3
            )

    def write(self, directory: Path) -> Path:
        """Write the consumer's six files into ``directory`` (created, owner-only); return it."""
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        contents = {
            "consumer_key": self.consumer_key.encode(),
            "access_token": self.access_token.encode(),
            "access_token_secret": self.encrypted_access_token_secret.encode(),
            "private_signature.pem": _pem(self.signature_key),
            "private_encryption.pem": _pem(self.encryption_key),
            "dhparam.pem": self.dhparam_pem(),
        }
        for name, data in contents.items():
            path = directory / name
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_bytes(data if data.endswith(b"\n") else data + b"\n")
        return directory
