"""The one app factory: the CLI, the tests and the screenshot script all build the app here."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from amprealize_tui.core.paths import default_home
from amprealize_tui.tui.app import AmprealizeApp
from amprealize_tui.tui.ui_state import startup_theme

if TYPE_CHECKING:
    import httpx
    from keyring.backend import KeyringBackend

    from amprealize_tui.core.config import Settings
    from amprealize_tui.core.services import Services
    from amprealize_tui.tui.widgets.badges import LatencyFormatter


def build_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    clock: Callable[[], datetime] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    keyring_backend: KeyringBackend | None = None,
    latency_format: LatencyFormatter | None = None,
    cursor_blink: bool = True,
) -> AmprealizeApp:
    """The app over `services`, or over services it opens after its first paint from `settings`
    (default: environment and AMPREALIZE_HOME). When they cannot open, the app shows why instead
    of a traceback. `latency_format` defaults to the badges' own."""
    if services is not None:
        return AmprealizeApp(
            services=services, latency_format=latency_format, cursor_blink=cursor_blink
        )

    def open_services() -> Services:
        # Runs in the app's start-up thread: these imports are most of the start-up cost.
        from amprealize_tui.core.config import load_settings
        from amprealize_tui.core.services import build_services

        return build_services(
            settings or load_settings(),
            transport=transport,
            keyring_backend=keyring_backend,
            clock=clock,
        )

    home = settings.home if settings is not None else default_home(os.environ)
    return AmprealizeApp(
        open_services=open_services,
        latency_format=latency_format,
        cursor_blink=cursor_blink,
        initial_theme=startup_theme(home),
    )
