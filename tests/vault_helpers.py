"""Stand-in keyring backends, a recording audit sink and a settable clock for the vault tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

from amprealize_tui.core.audit.sink import AuditEventType
from amprealize_tui.core.credentials.keyring_backend import KEYRING_SERVICE
from amprealize_tui.core.credentials.vault import CredentialVault

NVIDIA_KEY = "nvapi-Abcdefghijklmnopqrstuvwxyz0123456789"
OTHER_KEY = "nvapi-Zyxwvutsrqponmlkjihgfedcba9876543210"


def _unregistered(cls: type[KeyringBackend]) -> type[KeyringBackend]:
    """Keep a test backend out of keyring's own discovery (every subclass registers itself)."""
    KeyringBackend._classes.discard(cls)  # type: ignore[attr-defined]
    return cls


@_unregistered
class MemoryKeyring(KeyringBackend):
    """A recommended (priority 1) backend that keeps entries in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.locked = False
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        if self.locked:
            raise KeyringLocked("Failed to unlock the collection!")
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise KeyringLocked("Failed to unlock the collection!")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("No such password!")

    def data_key_entries(self) -> list[tuple[str, str]]:
        return [k for k in self.entries if k[0] == KEYRING_SERVICE]


@_unregistered
class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's file backend (module, name and priority) without installing it."""

    priority = 0.5  # type: ignore[assignment]


PlaintextKeyring.__module__ = "keyrings.alt.file"


@_unregistered
class LowPriorityKeyring(MemoryKeyring):
    """An unknown third-party backend keyring itself would not recommend."""

    priority = 0.2  # type: ignore[assignment]


LowPriorityKeyring.__module__ = "some_vendor.keyring"


@dataclass
class RecordingAudit:
    records: list[dict[str, Any]] = field(default_factory=list)

    def record(self, event_type: AuditEventType, **fields: Any) -> None:
        self.records.append({"event_type": event_type, **fields})


class Clock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_vault(
    path: Path,
    backend: KeyringBackend,
    *,
    audit: RecordingAudit | None = None,
    clock: Clock | None = None,
    user_id: str = "alice",
) -> CredentialVault:
    return CredentialVault(
        path, keyring_backend=backend, audit=audit, user_id=user_id, clock=clock or Clock()
    )


def files_under(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]
