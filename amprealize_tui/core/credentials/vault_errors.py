"""Vault failures. Every message says what happened and what to do, and never holds key material."""

from __future__ import annotations


class VaultError(Exception):
    """Base class for refusals and failures of the credential vault."""


class InvalidKeyInput(VaultError, ValueError):
    """A key, provider, scope or name given to the vault is not acceptable."""


class RecordNotFound(VaultError, LookupError):
    """No stored key has the given id."""


class RecordLocked(VaultError):
    """The record's key cannot be decrypted (data key missing or changed, or file altered).

    `keyring_refused` means the OS keyring would not hand the data key over (locked, or its
    daemon is gone): the key is fine and comes back once the keyring is unlocked."""

    def __init__(self, message: str, *, keyring_refused: bool = False) -> None:
        super().__init__(message)
        self.keyring_refused = keyring_refused


class VaultFileCorrupt(VaultError):
    """The vault file cannot be parsed; it is left untouched."""


class KeyringUnavailable(VaultError):
    """The OS keyring is missing, null, locked or refused access; nothing was changed."""
