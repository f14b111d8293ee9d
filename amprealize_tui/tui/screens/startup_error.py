"""Shown instead of the chat when the core services cannot open (bad config, corrupt database,
locked keyring): what went wrong, which file, and what to do, never a traceback."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class StartupErrorScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "app.quit", "Quit", id="startup_error.quit")
    ]

    def __init__(self, problem: str) -> None:
        super().__init__(id="startup-error")
        self.problem = problem

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="startup-error-panel"):
            yield Static("amprealize-tui could not start", id="startup-error-title")
            yield Static(Content(self.problem), id="startup-error-problem")
            yield Static(
                "Nothing was changed. Fix the problem above, then start amprealize-tui again. "
                "Press q to quit.",
                id="startup-error-help",
            )
        yield Footer()
