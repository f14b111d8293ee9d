"""In the real app: a key added in Settings (F2) reaches the composer's model picker at once."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Input, Select

from amprealize_tui.tui.screens.add_key import AddKeyScreen
from amprealize_tui.tui.screens.chat import ChatScreen
from amprealize_tui.tui.screens.settings import SettingsScreen
from tests.settings_helpers import NVIDIA_KEY
from tests.tui_harness import harness_app


async def test_adding_a_key_in_settings_fills_the_model_picker(tmp_path: Path) -> None:
    app = harness_app(tmp_path / "home", with_key=False)
    async with app.run_test(size=(120, 36)) as pilot:
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        picker = chat.query_one("#model-picker", Select)
        assert picker.disabled and "needs an API key" in str(picker.prompt)

        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddKeyScreen)
        secret = app.screen.query_one("#key-secret", Input)
        secret.post_message(events.Paste(NVIDIA_KEY))
        await pilot.pause()
        await pilot.click("#add-key-save")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)

        # No restart, not even back on the chat screen yet: the picker already has the models.
        assert not picker.disabled
        assert picker.value == "nvidia/deepseek-ai/deepseek-v4-flash"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is chat


async def test_deleting_the_only_key_empties_the_picker(tmp_path: Path) -> None:
    app = harness_app(tmp_path / "home", with_key=True)
    async with app.run_test(size=(120, 36)) as pilot:
        picker = app.screen.query_one("#model-picker", Select)
        assert not picker.disabled
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#delete-key-confirm")
        await pilot.pause()
        assert picker.disabled and "needs an API key" in str(picker.prompt)
