"""Long conversations page in from the store; auto-scroll follows only a view at the bottom;
start-up failures show a screen naming the problem instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from amprealize_tui.core.config import load_settings
from amprealize_tui.tui.factory import build_app
from amprealize_tui.tui.screens.chat import PAGE_SIZE, ChatScreen
from amprealize_tui.tui.screens.startup_error import StartupErrorScreen
from tests.tui_harness import ScriptedProvider, harness_app, seed_conversation
from tests.vault_helpers import MemoryKeyring

SIZE = (100, 30)


def _turns(count: int) -> list[tuple[str, str]]:
    return [(f"question {i}", f"answer {i}\n\nwith a second paragraph") for i in range(count)]


async def test_long_conversation_mounts_the_newest_page_and_loads_older_at_the_top(
    isolated_home: Path,
) -> None:
    app = harness_app(isolated_home)
    conversation_id = seed_conversation(app.services, "long", _turns(50))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        pane = screen.pane
        newest = [v.message.content for v in pane.views[-2:]]
        assert newest == ["question 49", "answer 49\n\nwith a second paragraph"]
        assert len(pane.views) == PAGE_SIZE and pane.has_older
        assert pane.scroll_y == pane.max_scroll_y  # opened at the newest message
        loaded = [len(pane.views)]
        while pane.has_older:
            oldest_before = pane.views[0]
            pane.scroll_to(y=0, animate=False, immediate=True)
            await pilot.pause()
            await pilot.pause(0.05)
            loaded.append(len(pane.views))
            # the message that was at the top is still where the user was looking
            assert pane.scroll_y > 0
            assert oldest_before.region.y >= pane.region.y
        assert loaded == [PAGE_SIZE, 2 * PAGE_SIZE, 3 * PAGE_SIZE, 4 * PAGE_SIZE, 100]
        stored = screen.services.store.messages_page(conversation_id, limit=500)
        assert [v.message.id for v in pane.views] == [m.id for m in reversed(stored)]


async def test_autoscroll_follows_new_tokens_only_at_the_bottom(isolated_home: Path) -> None:
    app = harness_app(isolated_home, ScriptedProvider())
    seed_conversation(app.services, "scrolling", _turns(8))  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        pane = screen.pane
        screen.composer.prompt.insert("at the bottom")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert pane.scroll_y == pane.max_scroll_y
        pane.scroll_to(y=5, animate=False, immediate=True)
        await pilot.pause()
        screen.composer.prompt.insert("scrolled up")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert pane.views[-1].message.content.startswith("Echo: scrolled up")
        assert pane.scroll_y == 5


async def test_corrupt_database_shows_the_startup_error_screen(isolated_home: Path) -> None:
    settings = load_settings({"AMPREALIZE_HOME": str(isolated_home)})
    isolated_home.mkdir(parents=True)
    settings.database_path.write_bytes(b"this is not sqlite" * 100)
    app = build_app(settings, keyring_backend=MemoryKeyring())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.startup_done.wait()  # the services open (and fail) after the first paint
        assert app.services is None
        assert app.startup_error is not None
        assert str(settings.database_path) in app.startup_error
        assert isinstance(app.screen, StartupErrorScreen)
        shown = str(app.screen.query_one("#startup-error-problem").render())
        assert "cannot be opened" in shown and "left untouched" in shown
        await pilot.press("q")
    assert app.return_code == 0
    assert settings.database_path.read_bytes() == b"this is not sqlite" * 100


async def test_malformed_config_shows_the_startup_error_screen(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True)
    (isolated_home / "config.toml").write_text("user_id = [\n", encoding="utf-8")
    app = build_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(80, 24)):
        await app.startup_done.wait()
        assert app.startup_error is not None
        assert "config.toml is not valid TOML" in app.startup_error
        assert isinstance(app.screen, StartupErrorScreen)
