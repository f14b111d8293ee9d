"""The one app factory: the CLI, the tests and the screenshot script all build the app here."""

from __future__ import annotations

from amprealize_tui.core.config import Settings, load_settings
from amprealize_tui.tui.app import AmprealizeApp


def build_app(settings: Settings | None = None) -> AmprealizeApp:
    return AmprealizeApp(settings or load_settings())
