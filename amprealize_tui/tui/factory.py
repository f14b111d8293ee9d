"""The one app factory: the CLI, the tests and the screenshot script all build the app here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from amprealize_tui.core.config import ConfigError, Settings, load_settings
from amprealize_tui.tui.app import AmprealizeApp
from amprealize_tui.tui.widgets.badges import LatencyFormatter, format_latency

if TYPE_CHECKING:
    import httpx
    from keyring.backend import KeyringBackend

    from amprealize_tui.core.services import Services


def _startup_problem(exc: Exception) -> str | None:
    """A sentence for the start-up error screen, or None for an unexpected (buggy) failure."""
    from amprealize_tui.core.conversations.store import StoreError
    from amprealize_tui.core.credentials.vault_errors import VaultError

    if isinstance(exc, ConfigError):
        return f"The configuration is invalid: {exc}"
    if isinstance(exc, StoreError):
        return f"The conversation database cannot be opened: {exc}"
    if isinstance(exc, VaultError):
        return f"The credential vault cannot be opened: {exc}"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"A data file cannot be opened{where}: {exc.strerror or exc}"
    return None


def build_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    clock: Callable[[], datetime] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    keyring_backend: KeyringBackend | None = None,
    latency_format: LatencyFormatter = format_latency,
    cursor_blink: bool = True,
) -> AmprealizeApp:
    """The app over `services`, or over services opened from `settings` (default: environment
    and AMPREALIZE_HOME). When they cannot open, the app shows why instead of a traceback."""

    def app(
        settings: Settings | None, services: Services | None, problem: str | None = None
    ) -> AmprealizeApp:
        return AmprealizeApp(
            settings,
            services=services,
            startup_error=problem,
            latency_format=latency_format,
            cursor_blink=cursor_blink,
        )

    if services is not None:
        return app(settings or services.settings, services)
    try:
        settings = settings or load_settings()
        from amprealize_tui.core.services import build_services

        services = build_services(
            settings, transport=transport, keyring_backend=keyring_backend, clock=clock
        )
    except Exception as exc:
        problem = _startup_problem(exc)
        if problem is None:
            raise
        return app(settings, None, problem)
    return app(settings, services)
