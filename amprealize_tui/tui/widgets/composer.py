"""The composer: model picker, route-mode picker, a status line and the multi-line prompt.

Enter sends; ctrl+j (or shift+enter where the terminal reports it) inserts a newline, because
ctrl+enter is not reliably distinguishable in terminals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Select, Static, TextArea

from amprealize_tui.core.providers.availability import Availability, ReadinessState
from amprealize_tui.core.routing.contract import RouteMode


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """One picker entry: what the availability service said, flattened for display."""

    model_id: str
    display_name: str
    credential_source: str  # user | project | org | platform | none

    @property
    def label(self) -> str:
        source = {"platform": "platform key", "none": "local"}.get(
            self.credential_source, f"BYOK {self.credential_source}"
        )
        return f"{self.display_name} · {source}"


@dataclass(frozen=True, slots=True)
class PickerState:
    """Everything the composer shows about models: the choices, or why there are none."""

    choices: tuple[ModelChoice, ...]
    suggested_model_id: str | None
    ready: bool
    reason: str  # short, for the empty picker: "needs an API key", "key invalid or locked"
    message: str  # a sentence saying what to do


class PromptArea(TextArea):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Send", id="composer.send"),
        Binding("ctrl+j,shift+enter", "newline", "Newline", id="composer.newline"),
    ]

    class Submitted(TextualMessage):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def _on_key(self, event: events.Key) -> None:
        # TextArea inserts a newline on enter before bindings are consulted: intercept it here.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        if self.text.strip():
            self.post_message(self.Submitted(self.text))

    def action_newline(self) -> None:
        self.insert("\n")


class Composer(Vertical):
    def __init__(self, route_mode: RouteMode, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._route_mode = route_mode
        self._fallback_model_id: str | None = None
        self._readiness_note = ""  # why no model can answer; shown whenever nothing else is

    def compose(self) -> ComposeResult:
        with Horizontal(id="composer-bar"):
            yield Select[str]([], prompt="Loading models…", id="model-picker", compact=True)
            yield Select[str](
                [(mode.value, mode.value) for mode in RouteMode],
                value=self._route_mode.value,
                allow_blank=False,
                id="mode-picker",
                compact=True,
            )
            yield Static("enter send · ctrl+j newline · esc stop", id="composer-hint")
        yield Static(id="composer-status", markup=False)
        yield PromptArea(id="prompt", soft_wrap=True, show_line_numbers=False, compact=True)

    @property
    def prompt(self) -> PromptArea:
        return self.query_one(PromptArea)

    @property
    def model_picker(self) -> Select[str]:
        return self.query_one("#model-picker", Select)

    @property
    def model_id(self) -> str | None:
        """The picked model, or (with none available) the one the reply service should name in
        its 'no model available' notice, so routing still runs and shows."""
        value = self.model_picker.value
        return value if isinstance(value, str) else self._fallback_model_id

    @property
    def route_mode(self) -> RouteMode:
        value = self.query_one("#mode-picker", Select).value
        return RouteMode(value) if isinstance(value, str) else self._route_mode

    def set_route_mode(self, mode: RouteMode) -> None:
        self.query_one("#mode-picker", Select).value = mode.value

    def show_models(self, state: PickerState) -> None:
        picker = self.model_picker
        previous = picker.value if isinstance(picker.value, str) else None
        ids = [choice.model_id for choice in state.choices]
        picker.set_options([(Content(c.label), c.model_id) for c in state.choices])
        self._fallback_model_id = state.suggested_model_id
        if state.choices:
            keep = previous if previous in ids else None
            suggested = state.suggested_model_id if state.suggested_model_id in ids else ids[0]
            picker.value = keep or suggested
            picker.prompt = "Pick a model"
            picker.disabled = False
        else:
            picker.prompt = f"No model: {state.reason}"
            picker.disabled = True
        self._readiness_note = "" if state.ready else state.message
        self.show_status("")

    @property
    def has_error(self) -> bool:
        return self.query_one("#composer-status", Static).has_class("-error")

    def show_status(self, text: str, *, warning: bool = False, error: bool = False) -> None:
        """Show `text` under the pickers; empty text brings back the readiness note, if any."""
        if not text and self._readiness_note:
            text, warning = self._readiness_note, True
        status = self.query_one("#composer-status", Static)
        status.update(Content(text))
        status.display = bool(text)
        status.set_class(warning, "-warning")
        status.set_class(error, "-error")

    def take_text(self) -> None:
        """The message was persisted: clear the prompt (on failure the text stays)."""
        self.prompt.clear()

    def focus_prompt(self) -> None:
        self.prompt.focus()


_REASONS = {
    ReadinessState.NEEDS_API_KEY: "needs an API key",
    ReadinessState.INVALID_KEY: "key invalid or locked",
    ReadinessState.NO_MODEL_AVAILABLE: "none configured",
}


def picker_state(availability: Availability) -> PickerState:
    """Flatten a core `Availability` (models + readiness) into what the composer shows."""
    readiness = availability.readiness
    choices = tuple(
        ModelChoice(item.model.model_id, item.model.display_name, item.credential_source)
        for item in availability.models
    )
    ready = readiness.state is ReadinessState.READY and bool(choices)
    return PickerState(
        choices,
        readiness.suggested_model_id,
        ready,
        _REASONS.get(readiness.state, "none available"),
        readiness.message,
    )
