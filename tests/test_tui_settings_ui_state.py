"""ui_state: the remembered theme survives restarts; a bad state file never crashes the app."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from textual import constants
from textual.app import App

from amprealize_tui.core.config import Settings, load_settings
from amprealize_tui.tui.factory import build_app
from amprealize_tui.tui.ui_state import load_theme, remember_theme, save_theme, startup_theme
from tests.vault_helpers import MemoryKeyring


@pytest.fixture
def settings() -> Settings:
    return load_settings()


def test_no_state_file_means_no_theme(settings: Settings) -> None:
    assert not settings.state_path.exists()
    assert load_theme(settings) is None


def test_saved_theme_is_loaded_back(settings: Settings) -> None:
    save_theme(settings, "dracula")
    assert load_theme(settings) == "dracula"
    assert json.loads(settings.state_path.read_text())["theme"] == "dracula"


def test_save_keeps_other_state_and_leaves_no_temp_file(settings: Settings) -> None:
    settings.home.mkdir(parents=True)
    settings.state_path.write_text(json.dumps({"sidebar": False, "theme": "nord"}))
    save_theme(settings, "gruvbox")
    assert json.loads(settings.state_path.read_text()) == {"sidebar": False, "theme": "gruvbox"}
    assert [p.name for p in settings.home.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'{"theme": 42}', b'{"theme": "  "}', b'{"theme": "\xff"}'],
)
def test_malformed_state_is_ignored_with_a_warning(
    settings: Settings, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    settings.home.mkdir(parents=True)
    settings.state_path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="amprealize_tui.tui.ui_state"):
        assert load_theme(settings) is None
    assert str(settings.state_path) in caplog.text


def test_save_over_a_malformed_file_replaces_it(settings: Settings) -> None:
    settings.home.mkdir(parents=True)
    settings.state_path.write_text("{oops")
    save_theme(settings, "nord")
    assert load_theme(settings) == "nord"


def test_failed_write_keeps_the_old_file(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_theme(settings, "nord")

    def boom(src: str, dst: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("amprealize_tui.tui.ui_state.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_theme(settings, "dracula")
    assert load_theme(settings) == "nord"
    assert [p.name for p in settings.home.iterdir()] == ["state.json"]


class _ThemedApp(App[None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_mount(self) -> None:
        remember_theme(self, self.settings)


async def test_app_applies_the_remembered_theme_and_saves_changes(settings: Settings) -> None:
    save_theme(settings, "nord")
    app = _ThemedApp(settings)
    async with app.run_test() as pilot:
        assert app.theme == "nord"
        app.theme = "dracula"
        await pilot.pause()
    assert load_theme(settings) == "dracula"


async def test_unknown_remembered_theme_is_ignored(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    save_theme(settings, "no-such-theme")
    app = _ThemedApp(settings)
    with caplog.at_level(logging.WARNING, logger="amprealize_tui.tui.ui_state"):
        async with app.run_test():
            assert app.theme == constants.DEFAULT_THEME
    assert "no-such-theme" in caplog.text


def test_startup_theme_prefers_the_remembered_one_then_the_config_file(tmp_path: Path) -> None:
    assert startup_theme(tmp_path) is None
    (tmp_path / "config.toml").write_text('theme = "gruvbox"\n', encoding="utf-8")
    assert startup_theme(tmp_path) == "gruvbox"
    (tmp_path / "state.json").write_text(json.dumps({"theme": "nord"}), encoding="utf-8")
    assert startup_theme(tmp_path) == "nord"


@pytest.mark.parametrize(
    "config", ["theme = [\n", 'theme = ""\n', "theme = 3\n", b"\xff\xfe theme"]
)
def test_startup_theme_is_quiet_about_a_broken_config_file(
    tmp_path: Path, config: str | bytes
) -> None:
    path = tmp_path / "config.toml"
    if isinstance(config, bytes):
        path.write_bytes(config)
    else:
        path.write_text(config, encoding="utf-8")
    assert startup_theme(tmp_path) is None


async def test_first_frames_use_the_remembered_theme_before_the_settings_load(
    isolated_home: Path,
) -> None:
    """A malformed config.toml stops the settings from ever loading, so the theme on screen
    can only have come from the early read made for the first frame."""
    isolated_home.mkdir(parents=True)
    (isolated_home / "state.json").write_text(json.dumps({"theme": "nord"}), encoding="utf-8")
    (isolated_home / "config.toml").write_text("user_id = [\n", encoding="utf-8")
    app = build_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(80, 24)):
        assert app.theme == "nord"
        await app.startup_done.wait()
        assert app.startup_error is not None
        assert app.theme == "nord"
