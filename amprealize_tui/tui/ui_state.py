"""UI state the app remembers between runs (the chosen theme), in `settings.state_path`.

The file is small JSON owned by the app (not the user's hand-written config.toml). It is written
atomically so a crash never leaves half a file; a malformed file is ignored with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amprealize_tui.core.paths import CONFIG_FILE_NAME, STATE_FILE_NAME

if TYPE_CHECKING:
    from textual.app import App
    from textual.theme import Theme

    from amprealize_tui.core.config import Settings

logger = logging.getLogger(__name__)

_THEME_KEY = "theme"


def _read_state(path: Path) -> dict[str, Any]:
    """The stored state, or {} when the file is missing or malformed (malformed is logged)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        logger.warning("Cannot read UI state %s (%s); using defaults.", path, exc.strerror)
        return {}
    try:
        state = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        logger.warning("Ignoring malformed UI state %s (%s); using defaults.", path, exc)
        return {}
    if not isinstance(state, dict):
        logger.warning("Ignoring UI state %s: expected a JSON object; using defaults.", path)
        return {}
    return state


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Write `state` atomically: temp file in the same directory, fsync, rename, fsync dir."""
    fd, tmp_name = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_theme(settings: Settings) -> str | None:
    """The remembered theme name, or None (no file, malformed file, or no usable theme entry)."""
    return _theme_at(settings.state_path)


def _theme_at(state_path: Path) -> str | None:
    theme = _read_state(state_path).get(_THEME_KEY)
    if theme is None:
        return None
    if not isinstance(theme, str) or not theme.strip():
        logger.warning("Ignoring theme %r in %s: not a theme name.", theme, state_path)
        return None
    return theme


def startup_theme(home: Path) -> str | None:
    """The theme for the very first frame, read before the settings load: the remembered one,
    else config.toml's `theme`. Quiet about a broken config file: loading the settings reports
    that properly a moment later."""
    remembered = _theme_at(home / STATE_FILE_NAME)
    if remembered is not None:
        return remembered
    try:
        configured = tomllib.loads((home / CONFIG_FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not TOML
        return None
    theme = configured.get("theme")
    return theme if isinstance(theme, str) and theme.strip() else None


def save_theme(settings: Settings, theme: str) -> None:
    """Remember `theme`, keeping any other state already in the file."""
    from amprealize_tui.core.config import ensure_home

    ensure_home(settings)
    state = _read_state(settings.state_path)
    state[_THEME_KEY] = theme
    _write_state(settings.state_path, state)


def remember_theme(app: App[Any], settings: Settings) -> None:
    """Apply the remembered theme (else the config file's) and save every later change.

    Call once from the app's `on_mount`. An unknown theme name is ignored with a warning; a failed
    save is logged, never raised (forgetting a theme is not worth interrupting the user).
    """
    wanted = load_theme(settings) or settings.theme
    if wanted is not None:
        if wanted in app.available_themes:
            app.theme = wanted
        else:
            logger.warning("Ignoring unknown theme %r; keeping %r.", wanted, app.theme)

    def _save(theme: Theme) -> None:
        try:
            save_theme(settings, theme.name)
        except OSError as exc:
            logger.warning("Could not remember theme %r: %s", theme.name, exc)

    app.theme_changed_signal.subscribe(app, _save)
