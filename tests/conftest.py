"""Shared fixtures: every test gets its own data directory and no inherited keys or overrides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.vault_helpers import MemoryKeyring

pytest_plugins = ["tests.loopback_server"]

_ENV_VARS = (
    "AMPREALIZE_HOME",
    "AMPREALIZE_CHAT_ROUTE_MODE",
    "AMPREALIZE_CHAT_ROUTING_MODEL",
    "AMPREALIZE_NVIDIA_BASE_URL",
    "NVIDIA_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # No test may read or write the developer's real keyring: the default backend is a fresh
    # in-memory one (tests that need another patch get_keyring themselves).
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("AMPREALIZE_HOME", str(home))
    monkeypatch.setenv("TZ", "UTC")
    yield home
