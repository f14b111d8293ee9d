"""Start the interactive app from the command line."""

from __future__ import annotations


def run_app() -> int:
    """Run the app; exit status 1 when it could only show the start-up error screen."""
    from amprealize_tui.tui.factory import build_app

    app = build_app()
    app.run()
    return 1 if app.startup_error else 0
