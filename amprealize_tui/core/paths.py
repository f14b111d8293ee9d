"""Where amprealize-tui keeps its files.

Free of pydantic and the settings' validation, so the TUI can find the remembered theme before
anything slow is imported and paint its first frame in the right colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

CONFIG_FILE_NAME = "config.toml"
STATE_FILE_NAME = "state.json"  # UI state the app remembers (theme), apart from config.toml


def default_home(env: Mapping[str, str]) -> Path:
    """`AMPREALIZE_HOME` if set, else the platform's user data directory."""
    override = env.get("AMPREALIZE_HOME")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("amprealize-tui", appauthor=False))
