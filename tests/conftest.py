"""Shared fixtures: every test gets its own data directory and no inherited keys or overrides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("AMPREALIZE_HOME", str(home))
    monkeypatch.setenv("TZ", "UTC")
    yield home
