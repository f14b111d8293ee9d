"""Help (F1): the key bindings active on the screen underneath, with their ids.

Read from that screen's `active_bindings`, so the list always matches what the keys really do
(app bindings, the screen's, and the focused widget's), including user keymap overrides.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

HELP_INTRO = (
    "Ctrl+P opens the command palette (new conversation, new project chat, search, rename, "
    "export, settings, audit log, route mode, model, which key pays, conversation list, copy "
    "last reply). In the composer, /settings opens the keys, /search WORDS searches every "
    "chat, /rename TITLE renames this one and /export saves it as Markdown. Keys on the screen "
    "below:"
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close help", key_display="esc", id="help.close"),
    ]

    def __init__(self) -> None:
        super().__init__(id="help-screen")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Keys", id="help-title")
            yield Static(HELP_INTRO, id="help-intro")
            table: DataTable[Text] = DataTable(id="help-table", cursor_type="row")
            table.add_columns("Key", "Does", "Binding id")
            yield table

    def on_mount(self) -> None:
        stack = self.app.screen_stack
        underneath = stack[-2] if len(stack) > 1 else stack[-1]
        table: DataTable[Text] = self.query_one("#help-table", DataTable)
        seen: set[tuple[str, str]] = set()
        # The app's own bindings (they have ids) first; generic widget keys (cursor moves) after.
        active_bindings = sorted(
            underneath.active_bindings.values(), key=lambda active: active.binding.id is None
        )
        for active in active_bindings:
            binding = active.binding
            entry = (binding.action, binding.description)
            if not binding.description or entry in seen:
                continue
            seen.add(entry)
            table.add_row(
                Text(self.app.get_key_display(binding)),
                Text(binding.description, style="" if active.enabled else "dim"),
                Text(binding.id or "—", style="dim"),
            )
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
