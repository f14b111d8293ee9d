"""The OS keyring holding the vault's data key: which backend it is, how safe, and access to it.

Detection works from the backend's class (module and name) and its priority, so it can be tested
with stand-in classes and without installing keyrings.alt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import keyring
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend

from amprealize_tui.core.credentials.crypto import (
    InvalidDataKey,
    decode_data_key,
    encode_data_key,
    new_data_key,
)
from amprealize_tui.core.credentials.vault_errors import KeyringUnavailable

KEYRING_SERVICE = "amprealize-tui"
INSTALL_HINT = "install and unlock gnome-keyring (or another Secret Service), then retry"

# Backends that cannot keep anything, and how to say so.
_UNUSABLE_CLASSES = {
    "keyring.backends.null.Keyring": "the null keyring backend is selected and stores nothing",
    "keyring.backends.fail.Keyring": "Python's keyring found no backend that can store secrets",
}
_OS_KEYRING_MODULES = (
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)
_FILE_KEYRING_MODULES = ("keyrings.alt",)
# keyring's own rule of thumb: a priority of 1 or more is a recommended backend.
_RECOMMENDED_PRIORITY = 1


class KeyringKind(StrEnum):
    SECURE = "secure"
    PLAINTEXT = "plaintext"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    """What the settings screen and `keys list` show about where the data key lives."""

    backend: str
    kind: KeyringKind
    message: str

    @property
    def can_store(self) -> bool:
        return self.kind is not KeyringKind.UNAVAILABLE


def _qualified_name(backend: KeyringBackend) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _display_name(backend: KeyringBackend) -> str:
    try:
        return str(backend.name)
    except Exception:  # a third-party backend's name property is not ours to trust
        return type(backend).__name__


def _unavailable(name: str, why: str) -> KeyringStatus:
    return KeyringStatus(
        name,
        KeyringKind.UNAVAILABLE,
        f"No usable OS keyring: {why}, so API keys cannot be saved. To fix it, {INSTALL_HINT}. "
        "Until then, a key in the NVIDIA_API_KEY environment variable still works.",
    )


def _plaintext(name: str, why: str) -> KeyringStatus:
    return KeyringStatus(
        name,
        KeyringKind.PLAINTEXT,
        f"Warning: {name} {why}, so saved API keys are NOT protected from anyone who can read "
        f"your files. For real protection, {INSTALL_HINT}.",
    )


def detect_keyring_status(backend: KeyringBackend) -> KeyringStatus:
    """Classify a backend: an OS keyring is secure, a file keyring (keyrings.alt) or any other
    not-recommended backend is plaintext, the null and fail backends are unavailable."""
    if isinstance(backend, ChainerBackend):
        chained = list(backend.backends)
        # The chainer stores new entries in its first (highest-priority) backend.
        if not chained:
            return _unavailable("chained keyring", "the keyring chain has no usable backend")
        return detect_keyring_status(chained[0])
    name = _display_name(backend)
    qualified = _qualified_name(backend)
    module = type(backend).__module__
    if qualified in _UNUSABLE_CLASSES:
        return _unavailable(name, _UNUSABLE_CLASSES[qualified])
    if module.startswith(_FILE_KEYRING_MODULES) or "plaintext" in qualified.lower():
        return _plaintext(name, "keeps the data key in a file instead of an OS keyring")
    if module.startswith(_OS_KEYRING_MODULES):
        return KeyringStatus(
            name, KeyringKind.SECURE, f"API keys are encrypted; the data key is kept in {name}."
        )
    try:
        priority = float(type(backend).priority)
    except Exception as exc:  # keyring signals "not usable here" by raising from priority
        return _unavailable(name, f"{name} is not usable here ({exc or type(exc).__name__})")
    if priority < 0:
        return _unavailable(name, f"{name} does not store secrets (priority {priority:g})")
    if priority < _RECOMMENDED_PRIORITY:
        return _plaintext(name, f"is not a recommended keyring (priority {priority:g})")
    return KeyringStatus(
        name, KeyringKind.SECURE, f"API keys are encrypted; the data key is kept in {name}."
    )


class DataKeyStore:
    """Reads and creates the vault's 256-bit data key in the keyring. Never overwrites an entry.

    `backend=None` means keyring's default backend, looked up on first use.
    """

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend
        self._detected: KeyringStatus | None = None
        self._failure: str | None = None

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            self._backend = keyring.get_keyring()
        return self._backend

    def _detect(self) -> KeyringStatus:
        if self._detected is None:
            self._detected = detect_keyring_status(self.backend)
        return self._detected

    def status(self) -> KeyringStatus:
        """The backend's kind; unavailable while the last access to it failed (locked keyring)."""
        detected = self._detect()
        if self._failure is not None and detected.kind is not KeyringKind.UNAVAILABLE:
            return KeyringStatus(detected.backend, KeyringKind.UNAVAILABLE, self._failure)
        return detected

    def _failed(self, action: str, exc: Exception) -> KeyringUnavailable:
        name = _display_name(self.backend)
        detail = str(exc).strip().rstrip(".!") or type(exc).__name__
        self._failure = (
            f"The OS keyring ({name}) refused to {action} the vault's data key: {detail}. "
            "Unlock the keyring and retry (with no keyring daemon running, install and unlock "
            "gnome-keyring or another Secret Service); no stored key was changed or deleted."
        )
        return KeyringUnavailable(self._failure)

    def load(self, entry: str) -> bytes | None:
        """The data key stored under `entry`, or None when there is none."""
        status = self._detect()
        if status.kind is KeyringKind.UNAVAILABLE:
            raise KeyringUnavailable(status.message)
        try:
            text = self.backend.get_password(KEYRING_SERVICE, entry)
        except Exception as exc:  # backends raise their own (D-Bus, locked, denied) errors
            raise self._failed("read", exc) from None
        self._failure = None
        if text is None:
            return None
        try:
            return decode_data_key(text)
        except InvalidDataKey as exc:
            raise KeyringUnavailable(
                f"The OS keyring entry {KEYRING_SERVICE}/{entry} is not a vault data key ({exc}). "
                "Remove that entry from the keyring to start a new data key; keys saved under "
                "the old one will show as locked."
            ) from None

    def create(self, entry: str) -> bytes:
        """Store a fresh data key under `entry` (which must be empty) and read it back."""
        if self.load(entry) is not None:
            raise KeyringUnavailable(
                f"The OS keyring already holds {KEYRING_SERVICE}/{entry}; refusing to replace it."
            )
        key = new_data_key()
        try:
            self.backend.set_password(KEYRING_SERVICE, entry, encode_data_key(key))
        except Exception as exc:  # see load()
            raise self._failed("store", exc) from None
        if self.load(entry) != key:
            raise KeyringUnavailable(
                f"The OS keyring ({_display_name(self.backend)}) did not keep the vault's data "
                f"key. To fix it, {INSTALL_HINT}."
            )
        return key
