"""`amprealize-tui` entry point: no arguments opens the app; sub-commands run headless."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from amprealize_tui import __version__

# Each sub-command lives in amprealize_tui/commands/<name>.py and exposes
# register(subparsers) -> argparse.ArgumentParser and run(args) -> int.
COMMANDS = ("route", "models", "keys", "audit", "ask")


class UsageError(Exception):
    """Bad arguments found after parsing; exits with status 2 like argparse does."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amprealize-tui",
        description="A governed terminal chat app. Run without arguments to open it.",
    )
    parser.add_argument("--version", action="version", version=f"amprealize-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"amprealize_tui.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"amprealize_tui.commands.{name}":
                raise
            continue
        module.register(sub).set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        from amprealize_tui.tui.launch import run_app

        return run_app()
    # Only here, not at import: opening the app must not pay for pydantic before its first frame.
    from amprealize_tui.core.config import ConfigError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"amprealize-tui: {exc}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"amprealize-tui {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `amprealize-tui route ... | head`: the reader left; not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
