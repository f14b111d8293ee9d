"""Commands on the open conversation: `/rename TITLE` at once, or a dialog (palette, bare
`/rename`) prefilled with the current title that explains a bad title inline; `/export` saves it
as Markdown without overwriting anything."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from amprealize_tui.core.conversations.store import MAX_TITLE_LENGTH
from amprealize_tui.tui.screens.chat import ChatScreen
from amprealize_tui.tui.screens.text_prompt import TextPromptScreen
from tests.tui_harness import chat, harness_app, seed_conversation, submit

SIZE = (110, 34)


async def test_slash_rename_with_a_title_renames_at_once(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert app.services is not None
    conversation_id = seed_conversation(app.services, "what is a b-tree?", [("q", "a")])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await submit(pilot, "/rename  Database notes ")
        stored = app.services.store.get_conversation(conversation_id)
        assert stored is not None and stored.title == "Database notes"
        assert screen.sub_title.endswith("· Database notes")
        assert screen.composer.prompt.text == ""
        assert app.services.store.count_messages(conversation_id) == 2  # nothing was sent


async def test_the_palette_dialog_starts_from_the_title_and_explains_a_bad_one(
    isolated_home: Path,
) -> None:
    app = harness_app(isolated_home)
    assert app.services is not None
    conversation_id = seed_conversation(app.services, "old title", [("q", "a")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p", *"rename conv")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TextPromptScreen)
        field = dialog.query_one("#prompt-input", Input)
        assert field.value == "old title"
        field.value = "x" * (MAX_TITLE_LENGTH + 1)
        await pilot.press("enter")
        await pilot.pause()
        error = dialog.query_one("#prompt-error", Static)
        assert error.display and f"at most {MAX_TITLE_LENGTH} characters" in str(error.render())
        assert app.screen is dialog  # still open, text kept
        field.value = "new title"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        stored = app.services.store.get_conversation(conversation_id)
        assert stored is not None and stored.title == "new title"


async def test_escape_keeps_the_old_title(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    assert app.services is not None
    conversation_id = seed_conversation(app.services, "keep me", [("q", "a")])
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/rename")
        assert isinstance(app.screen, TextPromptScreen)
        await pilot.press("ctrl+u", *"other", "escape")
        await pilot.pause()
        stored = app.services.store.get_conversation(conversation_id)
        assert stored is not None and stored.title == "keep me"


async def test_slash_export_saves_markdown_where_the_app_started(
    isolated_home: Path, tmp_path: Path, monkeypatch: object
) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "b-tree-notes.md").write_text("mine, keep it")
    monkeypatch.chdir(workdir)  # type: ignore[attr-defined]
    app = harness_app(isolated_home)
    assert app.services is not None
    seed_conversation(app.services, "B-tree notes", [("what is a b-tree?", "A balanced tree.")])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await submit(pilot, "/export")
        exported = workdir / "b-tree-notes-2.md"
        assert exported.exists()
        assert (workdir / "b-tree-notes.md").read_text() == "mine, keep it"
        text = exported.read_text()
        assert "# B-tree notes" in text and "what is a b-tree?" in text
        assert "A balanced tree." in text
        assert any(str(exported) in str(n.message) for n in app._notifications)
        assert screen.composer.prompt.text == ""
