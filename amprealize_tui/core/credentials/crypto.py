"""AES-256-GCM for stored API keys, under a random data key that lives in the OS keyring."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
_FINGERPRINT_LABEL = b"amprealize-tui data key fingerprint v1"


class DecryptionFailed(Exception):
    """The ciphertext does not authenticate under this key and associated data."""


class InvalidDataKey(Exception):
    """The keyring entry is not an encoded 256-bit key."""


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def encode_data_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_data_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InvalidDataKey("the keyring entry is not base64") from None
    if len(key) != DATA_KEY_BYTES:
        raise InvalidDataKey(f"the keyring entry holds {len(key)} bytes, not {DATA_KEY_BYTES}")
    return key


def key_fingerprint(key: bytes) -> str:
    """Identifies a data key without revealing it, so records can say which key sealed them and
    a replaced keyring entry is told apart from a tampered ciphertext."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def encrypt(key: bytes, plaintext: str, associated_data: bytes) -> str:
    """base64(nonce || ciphertext+tag), with a fresh random 96-bit nonce."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), associated_data)
    return base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(key: bytes, blob: str, associated_data: bytes) -> str:
    try:
        raw = base64.b64decode(blob.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise DecryptionFailed("ciphertext is not base64") from None
    if len(raw) <= NONCE_BYTES:
        raise DecryptionFailed("ciphertext is truncated")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
    except InvalidTag:
        raise DecryptionFailed("ciphertext failed authentication") from None
    return plain.decode("utf-8")
