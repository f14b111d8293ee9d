"""The "New project chat" dialog: asks for a project id and answers it (or None if cancelled).

Execution and planning actions need project scopes, which a personal conversation never holds;
a conversation opened here lives in that project's space (scope project_space).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

PROJECT_ID_MAX = 128


def project_id_problem(text: str) -> str | None:
    """Why `text` is not a usable project id, or None when it is."""
    if not text:
        return "Type a project id, for example atlas."
    if any(character.isspace() for character in text):
        return "A project id cannot contain spaces or other whitespace."
    if len(text) > PROJECT_ID_MAX:
        return f"A project id is at most {PROJECT_ID_MAX} characters (this one has {len(text)})."
    return None


class ProjectChatScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="project_chat.cancel"),
    ]

    def __init__(self) -> None:
        super().__init__(id="project-chat")

    def compose(self) -> ComposeResult:
        with Vertical(id="project-chat-dialog"):
            yield Static("New project chat", id="project-chat-title")
            yield Static(
                "Conversations in a project hold its project scope, which planning and "
                "execution actions need. Project keys are used first for its replies.",
                id="project-chat-intro",
            )
            yield Input(
                placeholder="project id, e.g. atlas",
                max_length=PROJECT_ID_MAX + 1,  # one over, so the limit is explained, not hit
                id="project-id",
            )
            yield Static(id="project-id-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start (enter)", variant="primary", id="start")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#project-id-error").display = False
        self.query_one("#project-id", Input).focus()

    def _submit(self) -> None:
        project_id = self.query_one("#project-id", Input).value
        problem = project_id_problem(project_id)
        error = self.query_one("#project-id-error", Static)
        error.update(problem or "")
        error.display = problem is not None
        if problem is None:
            self.dismiss(project_id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#project-id-error").display = False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "start":
            self._submit()
        else:
            self.dismiss(None)
