"""Start the interactive app from the command line."""

from __future__ import annotations

import sys

from amprealize_tui.core.config import ConfigError, load_settings


def run_app() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"amprealize-tui: {exc}", file=sys.stderr)
        return 1
    from amprealize_tui.tui.factory import build_app

    build_app(settings).run()
    return 0
