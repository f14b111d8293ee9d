"""A small dialog that asks for one line of text and answers it (or None when cancelled).

What is wrong with the text is said inline under the field, and the text stays, so a typo costs
one key, not the whole entry. The new-project-chat and rename dialogs are this dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class TextPromptScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="text_prompt.cancel"),
    ]

    def __init__(
        self,
        *,
        title: str,
        intro: str,
        placeholder: str,
        confirm: str,
        problem: Callable[[str], str | None],
        value: str = "",
        max_length: int = 0,
    ) -> None:
        """`problem(text)` says why the text cannot be used, or None when it can."""
        super().__init__(classes="text-prompt")
        self._title, self._intro, self._confirm = title, intro, confirm
        self._placeholder, self._value, self._max_length = placeholder, value, max_length
        self._problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog"):
            yield Static(self._title, id="prompt-title", markup=False)
            yield Static(self._intro, id="prompt-intro", markup=False)
            yield Input(
                self._value,
                placeholder=self._placeholder,
                max_length=self._max_length,
                id="prompt-input",
            )
            yield Static(id="prompt-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._confirm} (enter)", variant="primary", id="confirm")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#prompt-error").display = False
        self.query_one("#prompt-input", Input).focus()

    def _submit(self) -> None:
        text = self.query_one("#prompt-input", Input).value
        problem = self._problem(text)
        error = self.query_one("#prompt-error", Static)
        error.update(problem or "")
        error.display = problem is not None
        if problem is None:
            self.dismiss(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#prompt-error").display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self._submit()
        else:
            self.dismiss(None)
