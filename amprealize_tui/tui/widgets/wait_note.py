"""The composer's status while a model works and no answer text has arrived yet.

On the free tier a request can queue for minutes, and a thinking model reasons before it
answers; without a note that counts the seconds, either would look like a hang.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.timer import Timer

    from amprealize_tui.tui.widgets.composer import Composer


def wait_text(model_name: str, *, thinking: bool, seconds: int) -> str:
    what = f"{model_name} is thinking" if thinking else f"Waiting for {model_name}"
    return f"{what}… {seconds} s · esc stops"


class ModelWaitNote:
    def __init__(self, owner: DOMNode, composer: Composer) -> None:
        self._owner = owner  # runs the once-a-second timer
        self._composer = composer
        self._timer: Timer | None = None
        self._since = 0.0
        self._model_name = ""
        self._thinking = False

    @property
    def active(self) -> bool:
        return self._timer is not None

    def working(self, model_name: str, *, thinking: bool) -> None:
        """The model was called (or began thinking): show the note, counting from the call."""
        if self._timer is None:
            self._since = time.monotonic()
            self._timer = self._owner.set_interval(1.0, self._show)
        self._model_name, self._thinking = model_name, thinking
        self._show()

    def stop(self) -> None:
        """Text arrived or the call ended: remove the note (the readiness note, if any, returns)."""
        if self._timer is None:
            return
        self._timer.stop()
        self._timer = None
        self._composer.show_status("")

    def _show(self) -> None:
        seconds = int(time.monotonic() - self._since)
        self._composer.show_status(
            wait_text(self._model_name, thinking=self._thinking, seconds=seconds)
        )
