"""Shared pieces for the settings/audit screen tests and snapshots: keyrings, keys, a host app."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from keyring.backend import KeyringBackend
from textual.app import App
from textual.screen import Screen

from amprealize_tui.core.config import Settings
from amprealize_tui.core.credentials.vault import CredentialVault
from amprealize_tui.core.providers.models import ModelCatalog
from amprealize_tui.tui.stylesheet import stylesheet_path

FIXED_NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
SETTINGS_TCSS = Path(__file__).resolve().parent.parent / "amprealize_tui/tui/settings.tcss"

# Fake keys. Only their masks (first 8 characters + dots) may ever appear on screen.
NVIDIA_KEY = "nvapi-TEST-not-a-real-key-0000"
NVIDIA_KEY_2 = "nvapi-TEST-not-a-real-key-1111"
OPENAI_KEY = "sk-TEST-not-a-real-key-2222"
FAKE_KEYS = (NVIDIA_KEY, NVIDIA_KEY_2, OPENAI_KEY)


def fixed_clock() -> datetime:
    return FIXED_NOW


class MemoryKeyring(KeyringBackend):
    """A recommended (secure) in-memory keyring."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file keyring: the vault must warn that keys are unprotected."""


def make_services(settings: Settings, keyring_backend: KeyringBackend | None = None) -> Any:
    vault = CredentialVault(
        settings.vault_path,
        keyring_backend=keyring_backend or MemoryKeyring(),
        user_id=settings.user_id,
        clock=fixed_clock,
    )
    return SimpleNamespace(
        settings=settings, vault=vault, catalog=ModelCatalog.from_settings(settings)
    )


class ScreenHost(App[None]):
    """Opens one screen over an empty base, styled with the app's stylesheets."""

    CSS_PATH = [stylesheet_path(), SETTINGS_TCSS]  # noqa: RUF012 (Textual reads a plain list)

    def __init__(self, make_screen: Any) -> None:
        super().__init__()
        self._make_screen = make_screen

    def on_mount(self) -> None:
        screen: Screen[Any] = self._make_screen()
        self.push_screen(screen)


def route_metadata(
    mode: str, requested: str, fallback: str | None = None, model: str = "nvidia/deepseek-v4-flash"
) -> dict[str, Any]:
    """Audit metadata as the reply service writes it for a routed message."""
    return {
        "route_mode": mode,
        "requested_mode": requested,
        "fallback_reason": fallback,
        "llm_model_id": model,
    }
