"""What the start-up error screen says when the core services cannot open."""

from __future__ import annotations


def startup_problem(exc: Exception) -> str | None:
    """A sentence for the start-up error screen, or None for an unexpected (buggy) failure."""
    from amprealize_tui.core.config import ConfigError
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
