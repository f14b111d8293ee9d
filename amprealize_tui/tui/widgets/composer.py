"""The composer: model picker, route-mode picker, a status line and the multi-line prompt.

Enter sends; ctrl+j (or shift+enter where the terminal reports it) inserts a newline, because
ctrl+enter is not reliably distinguishable in terminals.

The composer is painted before the core services open (start-up speed): the prompt takes input at
once while both pickers say they are loading; `enable_route_modes` and `show_models` fill them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Select, Static, TextArea

if TYPE_CHECKING:
    from amprealize_tui.core.routing.contract import RouteMode
    from amprealize_tui.tui.widgets.model_choices import PickerState

NEWLINE_KEYS = ("ctrl+j", "shift+enter")
PROMPT_PLACEHOLDER = "Ask anything · enter sends · ctrl+j new line"


class PromptArea(TextArea):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not in the footer: the prompt's placeholder says them, and the footer's room goes to
        # keys nothing else on screen mentions.
        Binding("enter", "submit", "Send", show=False, id="composer.send"),
        Binding(",".join(NEWLINE_KEYS), "newline", "Newline", show=False, id="composer.newline"),
    ]

    class Submitted(TextualMessage):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def _on_key(self, event: events.Key) -> None:
        # Handled here, not only by the bindings: TextArea inserts a newline on enter before
        # bindings are consulted, and a binding runs after the key has bubbled up, so a newline
        # typed in a fast burst could land after the characters typed behind it.
        if event.key in ("enter", *NEWLINE_KEYS):
            event.stop()
            event.prevent_default()
            if event.key == "enter":
                self.action_submit()
            else:
                self.action_newline()
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        if self.text.strip():
            self.post_message(self.Submitted(self.text))

    def action_newline(self) -> None:
        self.insert("\n")


class Composer(Vertical):
    """Compose it with its parts, `with Composer(id=...): yield from Composer.parts()`: built in
    the screen's own compose, the prompt exists (and takes focus) as soon as the screen does, so
    a key typed during start-up is never dropped for want of a focused widget."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._modes: dict[str, RouteMode] = {}
        self._fallback_model_id: str | None = None
        self._readiness_note = ""  # why no model can answer; shown whenever nothing else is

    @staticmethod
    def parts() -> ComposeResult:
        with Horizontal(id="composer-bar"):
            yield Select[str](
                [], prompt="Loading models…", id="model-picker", compact=True, disabled=True
            )
            yield Select[str]([], prompt="Loading…", id="mode-picker", compact=True, disabled=True)
        yield Static(id="composer-status", markup=False)
        yield PromptArea(
            id="prompt",
            soft_wrap=True,
            show_line_numbers=False,
            compact=True,
            placeholder=PROMPT_PLACEHOLDER,
        )

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
        """The picked route mode; only read once `enable_route_modes` has run."""
        return self._modes[str(self.query_one("#mode-picker", Select).value)]

    async def enable_route_modes(self, modes: Sequence[RouteMode], current: RouteMode) -> None:
        """Replace the loading placeholder with the real picker (a Select cannot drop its blank
        entry once created, so the placeholder is swapped rather than filled)."""
        self._modes = {mode.value: mode for mode in modes}
        placeholder = self.query_one("#mode-picker", Select)
        picker = Select[str](
            [(mode.value, mode.value) for mode in modes],
            value=current.value,
            allow_blank=False,
            id="mode-picker",
            compact=True,
        )
        await placeholder.remove()
        await self.query_one("#composer-bar").mount(picker, after=self.model_picker)

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
