"""Regenerate the SVG screenshots in screenshots/ from the deterministic test harness.

    python scripts/screenshots.py [OUTPUT_DIR]      (default: screenshots/ in the repository)

Every screenshot runs the real app (tests/tui_harness.py: scripted provider, in-memory keyring
with fake keys, fixed clock, TZ=UTC, no cursor blink) at 120x36, so the files change only when
the UI does. tests/test_screenshots.py checks that the committed files are current.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make `tests.*` (the harness) importable
    sys.path.insert(0, str(REPO))

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input, Select  # noqa: E402

from amprealize_tui.core.routing.contract import RouteMode  # noqa: E402
from amprealize_tui.tui.app import AmprealizeApp  # noqa: E402
from tests.settings_helpers import NVIDIA_KEY_2, populate_keys  # noqa: E402
from tests.tui_harness import ScriptedProvider, harness_app  # noqa: E402

SIZE = (120, 36)
DEFAULT_OUTPUT = REPO / "screenshots"

Scenario = Callable[[Pilot[None]], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    name: str
    caption: str
    scenario: Scenario
    routes: tuple[str, ...] = ()
    """Raw answers the scripted provider gives to routing (LLM) calls."""


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def _send(pilot: Pilot[None], text: str) -> None:
    app = pilot.app
    assert isinstance(app, AmprealizeApp) and app.chat is not None
    app.chat.composer.prompt.insert(text)
    await pilot.press("enter")
    await _settle(pilot)


async def _badges(pilot: Pilot[None]) -> None:
    await _send(pilot, "what is a b-tree?")
    await _send(pilot, "/work-item track the flaky login test")


async def _approval(pilot: Pilot[None]) -> None:
    await _send(pilot, "/tool list the open pull requests")


async def _project_chat(pilot: Pilot[None]) -> None:
    await _send(pilot, "execute the plan for WI-7")  # denied here: personal chat
    await pilot.press("ctrl+o")
    await pilot.pause()
    await pilot.press(*"atlas", "enter")
    await _settle(pilot)
    await _send(pilot, "execute the plan for WI-7")


async def _clarification(pilot: Pilot[None]) -> None:
    await _send(pilot, "create a ticket and run it")


async def _fallback(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, AmprealizeApp) and app.chat is not None
    app.chat.set_route_mode(RouteMode.LLM)
    await _send(pilot, "what is a b-tree?")


async def _settings(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, AmprealizeApp) and app.services is not None
    populate_keys(app.services.vault, app.services.settings.user_id)
    await pilot.press("f2")
    await pilot.pause()


async def _add_key(pilot: Pilot[None]) -> None:
    await pilot.press("f2")
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    screen = pilot.app.screen
    screen.query_one("#add-key-scope", Select).value = "project"
    screen.query_one("#add-key-scope-id", Input).value = "alpha"
    screen.query_one("#add-key-name", Input).value = "team project"
    screen.query_one("#key-secret", Input).value = NVIDIA_KEY_2
    await pilot.pause()


async def _audit(pilot: Pilot[None]) -> None:
    for text in (
        "what is a b-tree?",
        "/work-item track the flaky login test",
        "/tool list the open pull requests",
        "/invite bob to the project",
    ):
        await _send(pilot, text)
    await pilot.press("f3")
    await _settle(pilot)


async def _search(pilot: Pilot[None]) -> None:
    await _send(pilot, "what is a b-tree?")
    await pilot.press("ctrl+n")
    await _settle(pilot)
    await _send(pilot, "compare a B-tree with an LSM tree for writes")
    await pilot.press("ctrl+f", *"b-tree")
    for worker in list(pilot.app.workers):  # not _settle: the search dialog waits for the user
        if worker.group == "search":
            await worker.wait()
    await pilot.pause()


SHOTS: tuple[Shot, ...] = (
    Shot("chat-badges", "Replies with their route badges: action, risk, mode, model, key", _badges),
    Shot("chat-approval", "A high-risk action waits for approval before any model call", _approval),
    Shot(
        "chat-project",
        "Denied in personal chat; in a project chat (ctrl+o) the same message asks for approval",
        _project_chat,
    ),
    Shot("chat-clarification", "An ambiguous message asks which action was meant", _clarification),
    Shot(
        "chat-fallback",
        "LLM routing returned invalid JSON: the deterministic route is used, the reason shown",
        _fallback,
        routes=("this is not JSON",),
    ),
    Shot("search", "Search every conversation (ctrl+f); enter opens the chat there", _search),
    Shot("settings-keys", "LLM API Keys: active, disabled and locked keys, masked", _settings),
    Shot("settings-add-key", "Adding a project-scoped key; the key input is hidden", _add_key),
    Shot("audit", "The audit log of that chat, with the hash chain verified", _audit),
)


async def capture(shot: Shot, output: Path) -> Path:
    """Run `shot` in a fresh data directory and write `<output>/<name>.svg`."""
    with tempfile.TemporaryDirectory(prefix="amprealize-shot-") as home:
        provider = ScriptedProvider()
        provider.route(*shot.routes)
        app = harness_app(Path(home) / "home", provider)
        async with app.run_test(size=SIZE) as pilot:
            await _settle(pilot)
            await shot.scenario(pilot)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            svg = app.export_screenshot(title="amprealize-tui")
    path = output / f"{shot.name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


async def capture_all(output: Path) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    return [await capture(shot, output) for shot in SHOTS]


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python scripts/screenshots.py [OUTPUT_DIR]", file=sys.stderr)
        return 2
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    for path in asyncio.run(capture_all(output)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
