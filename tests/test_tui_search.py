"""Search (ctrl+f, palette, `/search`): results follow typing, enter opens the conversation at
the message, a hit too far back says how to reach it, escape leaves everything as it was."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static

from amprealize_tui.tui.screens.chat import HIT_CONTEXT, PAGE_SIZE, ChatScreen
from amprealize_tui.tui.screens.search import SearchScreen
from tests.tui_harness import chat, harness_app, seed_conversation, submit

SIZE = (110, 34)


def _turns(count: int, marker_at: int | None = None) -> list[tuple[str, str]]:
    return [
        (
            f"question {i}" + (" about zeppelins" if i == marker_at else ""),
            f"answer {i}",
        )
        for i in range(count)
    ]


async def _results(pilot: object) -> list[str]:
    """The result ids once the search worker is done (the worker that opened the search screen
    is still waiting for it to close, so not every worker can be awaited)."""
    for worker in list(pilot.app.workers):  # type: ignore[attr-defined]
        if worker.group == "search":
            await worker.wait()
    await pilot.pause()  # type: ignore[attr-defined]
    results = pilot.app.screen.query_one("#search-results", OptionList)  # type: ignore[attr-defined]
    return [str(results.get_option_at_index(i).id) for i in range(results.option_count)]


def _status(app: object) -> str:
    return str(app.screen.query_one("#search-status", Static).render())  # type: ignore[attr-defined]


async def test_ctrl_f_finds_a_message_and_enter_opens_its_conversation_there(
    isolated_home: Path,
) -> None:
    app = harness_app(isolated_home)
    services = app.services
    assert services is not None
    target = seed_conversation(services, "airships", _turns(PAGE_SIZE + 30, marker_at=3))
    seed_conversation(services, "other", _turns(3))  # newest: opens first
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        assert screen.conversation is not None and screen.conversation.title == "other"
        screen.composer.prompt.insert("half-typed draft")
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"zeppel")
        found = await _results(pilot)
        (hit,) = services.store.search("zeppel")
        assert found == [hit.id]
        assert "1 message" in _status(app)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause(0.05)
        assert isinstance(app.screen, ChatScreen)
        assert screen.conversation is not None and screen.conversation.id == target
        view = screen.pane.view(hit.id)
        assert view is not None, "the hit (70 messages back) is mounted"
        assert app.focused is view
        pane = screen.pane.region
        assert pane.y <= view.region.y < pane.bottom, (pane, view.region)  # scrolled into view
        assert screen.composer.prompt.text == "half-typed draft"  # nothing the user typed is lost


async def test_no_match_says_so_and_escape_changes_nothing(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert app.services is not None
    seed_conversation(app.services, "only", _turns(4))
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        before = screen.conversation
        await pilot.press("ctrl+f")
        await pilot.press(*"quux")
        assert await _results(pilot) == []
        assert "No message contains 'quux'" in _status(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.conversation == before


async def test_slash_search_in_the_composer_opens_search_with_the_words(
    isolated_home: Path,
) -> None:
    app = harness_app(isolated_home)
    assert app.services is not None
    seed_conversation(app.services, "one", _turns(5))
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await submit(pilot, "/search answer 2")
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.query_one("#search-input", Input).value == "answer 2"
        found = await _results(pilot)
        assert len(found) == 1
        assert screen.composer.prompt.text == ""  # a command, not a message: nothing was sent
        assert app.services.store.count_messages(screen.conversation.id) == 10  # type: ignore[union-attr]


async def test_a_deep_hit_opens_a_window_that_pages_both_ways_and_sending_goes_newest(
    isolated_home: Path,
) -> None:
    """A hit 1,000 messages back mounts one page around it (not everything newer); scrolling
    down loads newer pages, and a new message returns the pane to the newest page."""
    app = harness_app(isolated_home)
    services = app.services
    assert services is not None
    conversation_id = seed_conversation(services, "deep", _turns(600, marker_at=100))
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await pilot.press("ctrl+f", *"zeppelins")
        (hit_id,) = await _results(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause(0.05)
        pane = screen.pane
        ids = [v.message.id for v in pane.views]
        assert len(ids) == PAGE_SIZE and ids.index(hit_id) == HIT_CONTEXT
        assert pane.has_older and pane.has_newer and not pane.is_anchored
        assert app.focused is pane.view(hit_id)

        pane.scroll_end(animate=False, immediate=True)  # the bottom of the window: next page
        await pilot.pause()
        await pilot.pause(0.05)
        assert len(pane.views) == 2 * PAGE_SIZE
        expected = services.store.messages_page(
            conversation_id, limit=2 * PAGE_SIZE - 1, after=ids[0]
        )
        assert [v.message.id for v in pane.views[1:]] == [m.id for m in reversed(expected)]

        screen.composer.focus_prompt()
        screen.composer.prompt.insert("a new question")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not pane.has_newer and pane.is_anchored
        assert len(pane.views) >= PAGE_SIZE
        assert pane.views[-1].message.content != ""
        newest = services.store.messages_page(conversation_id, limit=len(pane.views))
        assert [v.message.id for v in pane.views] == [m.id for m in reversed(newest)]


async def test_arrows_move_the_highlight_while_typing_keeps_going(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    services = app.services
    assert services is not None
    seed_conversation(services, "A", [("marker one", "x"), ("marker two", "y")])
    seed_conversation(services, "B", [("marker three", "z"), ("marker four", "w")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+f", *"marker")
        ids = await _results(pilot)
        assert len(ids) == 4  # newest first: four, three, two, one
        await pilot.press("down", "down", "down", "up")  # a quick burst: no key is lost
        assert isinstance(app.focused, Input)  # the query stays editable
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause(0.05)
        screen = chat(app)
        assert screen.conversation is not None and screen.conversation.title == "A"
        assert app.focused is screen.pane.view(ids[2])
        assert screen.pane.view(ids[2]).message.content == "marker two"  # type: ignore[union-attr]
