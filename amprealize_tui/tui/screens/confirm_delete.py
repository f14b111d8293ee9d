"""Confirmation before deleting a conversation (it cannot be undone)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDeleteScreen(ModalScreen[bool]):
    """Answers True (delete) or False (keep)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "dismiss(False)", "Keep", id="confirm_delete.keep"),
        Binding("y", "dismiss(True)", "Delete", id="confirm_delete.delete"),
    ]

    def __init__(self, title: str) -> None:
        super().__init__(id="confirm-delete")
        self.conversation_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-delete-dialog"):
            yield Static(
                Content.assemble(
                    "Delete the conversation ",
                    (f"“{self.conversation_title}”", "bold"),
                    " and all its messages?\nThis cannot be undone.",
                )
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete (y)", variant="error", id="delete")
                yield Button("Keep (n)", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")
