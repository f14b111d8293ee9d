"""Command palette commands call the agreed app actions; help lists the live bindings."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.widgets import DataTable, Footer

from amprealize_tui.tui.palette import AppCommands, commands
from amprealize_tui.tui.screens.help import HelpScreen
from amprealize_tui.tui.screens.settings import SettingsScreen
from tests.tui_harness import harness_app


class _ActionsApp(App[None]):
    """Implements every action the palette knows and records which ran."""

    COMMANDS = App.COMMANDS | {AppCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "show_help", "Help", id="app.help"),
        Binding("f2", "open_settings", "Settings", id="app.settings"),
        Binding("ctrl+b", "toggle_sidebar", "Conversations", id="app.toggle_sidebar"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def compose(self) -> ComposeResult:
        yield Footer()

    def action_show_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_new_conversation(self) -> None:
        self.calls.append("new_conversation")

    def action_new_project_chat(self) -> None:
        self.calls.append("new_project_chat")

    def action_open_settings(self) -> None:
        self.calls.append("open_settings")

    def action_open_audit(self) -> None:
        self.calls.append("open_audit")

    def action_search(self) -> None:
        self.calls.append("search")

    def action_rename_conversation(self) -> None:
        self.calls.append("rename_conversation")

    def action_export_conversation(self) -> None:
        self.calls.append("export_conversation")

    def action_toggle_prefer_user_key(self) -> None:
        self.calls.append("toggle_prefer_user_key")

    def action_set_route_mode(self, mode: str) -> None:
        self.calls.append(f"set_route_mode:{mode}")

    def action_pick_model(self) -> None:
        self.calls.append("pick_model")

    def action_toggle_sidebar(self) -> None:
        self.calls.append("toggle_sidebar")

    def action_copy_last_reply(self) -> None:
        self.calls.append("copy_last_reply")


class _PartialApp(App[None]):
    COMMANDS = App.COMMANDS | {AppCommands}

    def action_open_settings(self) -> None:
        pass


async def _discovered(app: App[None]) -> list[str]:
    provider = AppCommands(app.screen)
    provider._post_init()
    return [hit.text async for hit in provider._search("") if hit.text]


async def _run_palette(query: str) -> list[str]:
    app = _ActionsApp()
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*query)
        await pilot.pause(0.3)
        await pilot.press("down", "enter")
        await pilot.pause()
    return app.calls


async def test_every_command_is_offered_when_the_app_implements_it() -> None:
    app = _ActionsApp()
    async with app.run_test():
        titles = await _discovered(app)
    assert titles == [c.title for c in commands()]
    assert {"Route mode: deterministic", "Route mode: llm", "Route mode: hybrid"} <= set(titles)


async def test_commands_for_missing_actions_are_not_offered() -> None:
    app = _PartialApp()
    async with app.run_test():
        assert await _discovered(app) == ["Settings: LLM API keys"]


async def test_choosing_a_route_mode_calls_set_route_mode_with_it() -> None:
    assert await _run_palette("hybrid") == ["set_route_mode:hybrid"]


async def test_choosing_search_opens_search() -> None:
    assert await _run_palette("search conv") == ["search"]


async def test_choosing_settings_opens_settings() -> None:
    assert await _run_palette("keys") == ["open_settings"]


async def test_search_ranks_only_matching_commands() -> None:
    app = _ActionsApp()
    async with app.run_test():
        provider = AppCommands(app.screen)
        provider._post_init()
        hits = [hit.text async for hit in provider._search("copy")]
    assert hits == ["Copy last reply"]


async def test_help_lists_the_bindings_of_the_screen_below_with_ids() -> None:
    app = _ActionsApp()
    async with app.run_test() as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
    assert ["f2", "Settings", "app.settings"] in rows
    assert ["^b", "Conversations", "app.toggle_sidebar"] in rows
    assert any(row[1] == "Help" and row[2] == "app.help" for row in rows)


async def test_in_the_app_the_palette_opens_settings_and_help_lists_its_keys(
    tmp_path: Path,
) -> None:
    app = harness_app(tmp_path / "home")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"keys")
        await pilot.pause(0.3)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table", DataTable)
        ids = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
    expected = {"settings.add_key", "settings.delete_key", "settings.verify_key", "app.help"}
    assert expected <= set(ids)
    # The app's own bindings first, the table's generic cursor keys ("—", no id) after them.
    first_generic = ids.index("—")
    assert set(ids[first_generic:]) == {"—"} and expected <= set(ids[:first_generic])
