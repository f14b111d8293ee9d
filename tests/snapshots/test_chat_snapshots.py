"""Snapshots of the chat screen's states, made with the deterministic harness (scripted provider,
fixed clock 2026-01-15 10:00 UTC, TZ=UTC, user alice, pinned routing latency, solid cursor)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from amprealize_tui.core.routing.contract import ConversationScope
from amprealize_tui.tui.app import AmprealizeApp
from amprealize_tui.tui.factory import build_app
from tests.tui_harness import (
    ScriptedProvider,
    ScriptedReply,
    harness_app,
    seed_conversation,
)
from tests.vault_helpers import MemoryKeyring

SIZE = (120, 36)
B_TREE_ANSWER = (
    "A **B-tree** is a self-balancing search tree: every node holds many sorted keys, so "
    "lookups touch few disk pages.\n\n"
    "- inserts split full nodes\n- deletes merge sparse ones\n\n"
    "```python\nindex.search(key)\n```"
)

RunBefore = Callable[[Pilot[None]], Awaitable[None]]


async def _started(pilot: Pilot[None]) -> None:
    """Wait for the start-up signal: the chat is live, or the start-up error screen shows."""
    app = pilot.app
    assert isinstance(app, AmprealizeApp)
    await app.startup_done.wait()
    await pilot.pause()


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def sending(*texts: str, then: tuple[str, ...] = ()) -> RunBefore:
    """Type and send each text, waiting for its reply; then press `then`."""

    async def run(pilot: Pilot[None]) -> None:
        app = pilot.app
        await _started(pilot)  # run_before starts before the first screen has composed
        assert isinstance(app, AmprealizeApp) and app.chat is not None
        for text in texts:
            app.chat.composer.prompt.insert(text)
            await pilot.press("enter")
            await _settle(pilot)
        for key in then:
            await pilot.press(key)
            await _settle(pilot)

    return run


def _b_tree_provider() -> ScriptedProvider:
    provider = ScriptedProvider()
    provider.reply(ScriptedReply((B_TREE_ANSWER[:60], B_TREE_ANSWER[60:])))
    return provider


def test_empty_state_without_a_key(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home, with_key=False)
    assert snap_compare(app, terminal_size=SIZE)


def test_routed_reply_with_badges(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home, _b_tree_provider())
    assert snap_compare(app, terminal_size=SIZE, run_before=sending("what is a b-tree?"))


def test_fallback_badge(snap_compare: Any, isolated_home: Path) -> None:
    provider = ScriptedProvider()
    provider.route("this is not JSON")
    app = harness_app(isolated_home, provider, config='route_mode = "llm"\n')
    assert snap_compare(app, terminal_size=SIZE, run_before=sending("summarize my week"))


def test_approval_card_pending(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert snap_compare(app, terminal_size=SIZE, run_before=sending("/tool list the files"))


def test_approval_card_after_approval(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    run = sending("/tool list the files", then=("ctrl+up", "a"))
    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def test_clarification_choices(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert snap_compare(app, terminal_size=SIZE, run_before=sending("create a ticket and run it"))


def test_denial_notice(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert snap_compare(app, terminal_size=SIZE, run_before=sending("/invite bob"))


def test_error_notice_with_retry(snap_compare: Any, isolated_home: Path) -> None:
    provider = ScriptedProvider()
    provider.reply(ScriptedReply(status=400, detail="the model is overloaded"))
    app = harness_app(isolated_home, provider)
    assert snap_compare(app, terminal_size=SIZE, run_before=sending("summarize the notes"))


def test_expanded_route(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    run = sending("attach the report and summarize it", then=("ctrl+up", "e"))
    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def test_model_picker_open(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert snap_compare(app, terminal_size=SIZE, press=["ctrl+g"])


def test_long_conversation(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    turns = [(f"question {i}", f"answer number {i}") for i in range(300)]
    seed_conversation(app.services, "a long conversation", turns)  # type: ignore[arg-type]
    assert snap_compare(app, terminal_size=SIZE)


def test_small_terminal_80x24(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home, _b_tree_provider())
    run = sending("what is a b-tree?")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


def test_large_terminal_160x50(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home, _b_tree_provider())
    services = app.services
    assert services is not None
    seed_conversation(services, "weekly notes", [("summarize my week", "A calm week.")])
    seed_conversation(services, "release checklist", [("what is left?", "Two reviews.")])
    run = sending("what is a b-tree?", "/tool list the files")
    assert snap_compare(app, terminal_size=(160, 50), run_before=run)


def test_startup_error_screen(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AMPREALIZE_HOME", "data")  # relative: the message names a stable path
    Path("data").mkdir()
    Path("data/amprealize.db").write_bytes(b"not a database" * 50)
    app = build_app(keyring_backend=MemoryKeyring())
    assert snap_compare(app, terminal_size=(100, 24), run_before=_started)


async def _project_chat_dialog_with_an_error(pilot: Pilot[None]) -> None:
    await _started(pilot)
    await pilot.press("ctrl+o")
    await pilot.pause()
    await pilot.press(*"atlas two", "enter")
    await pilot.pause()


def test_new_project_chat_dialog(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    run = _project_chat_dialog_with_an_error
    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def test_project_chat_approval(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    services = app.services
    assert services is not None
    services.store.create_conversation(
        scope=ConversationScope.PROJECT_SPACE, project_id="atlas", title="atlas kickoff"
    )
    run = sending("execute the plan for WI-7")
    assert snap_compare(app, terminal_size=SIZE, run_before=run)


async def _searching_zeppelins(pilot: Pilot[None]) -> None:
    await _started(pilot)
    await pilot.press("ctrl+f", *"zeppelin")
    for worker in list(pilot.app.workers):
        if worker.group == "search":
            await worker.wait()
    await pilot.press("down")
    await pilot.pause()


def test_search_results(snap_compare: Any, isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    services = app.services
    assert services is not None
    seed_conversation(
        services,
        "airship history",
        [
            (
                "when did the first zeppelin fly?",
                "The LZ 1 first flew over Lake Constance in 1900.",
            ),
            ("and the Hindenburg?", "It burned at Lakehurst in 1937; zeppelin travel ended."),
        ],
    )
    seed_conversation(
        services, "weekend notes", [("summarize: visit the Zeppelin museum", "A museum visit.")]
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=_searching_zeppelins)
