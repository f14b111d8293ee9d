"""The Textual application. Thin: screens and widgets do the work, core services hold state."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from amprealize_tui.core.config import Settings
from amprealize_tui.tui.stylesheet import stylesheet_path


class AmprealizeApp(App[None]):
    TITLE = "amprealize-tui"
    CSS_PATH = stylesheet_path()

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "amprealize-tui is being built. What works so far:\n\n"
            '  amprealize-tui route "MESSAGE" --json   route a message through the contract\n',
            id="placeholder",
        )
        yield Footer()
