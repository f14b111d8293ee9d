"""The Textual application. Thin: screens and widgets do the work, core services hold state.

App-level actions are the names the command palette and the screens call; the chat actions
delegate to the chat screen. Settings, audit and help screens are imported lazily (start-up cost).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from amprealize_tui.core.config import Settings
from amprealize_tui.core.routing.contract import RouteMode
from amprealize_tui.tui.palette import AppCommands
from amprealize_tui.tui.stylesheet import stylesheet_path
from amprealize_tui.tui.widgets.badges import LatencyFormatter, format_latency

if TYPE_CHECKING:
    from amprealize_tui.core.services import Services
    from amprealize_tui.tui.screens.chat import ChatScreen

def stylesheet_paths() -> list[Path]:
    """The app's one stylesheet (a list, as Textual's CSS_PATH accepts, for the test hosts)."""
    return [stylesheet_path()]


class AmprealizeApp(App[None]):
    TITLE = "amprealize-tui"
    CSS_PATH = stylesheet_paths()
    COMMANDS = App.COMMANDS | {AppCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "show_help", "Help", id="app.help"),
        Binding("f2", "open_settings", "Settings", id="app.settings"),
        Binding("f3", "open_audit", "Audit", id="app.audit"),
    ]

    def __init__(
        self,
        settings: Settings | None,
        *,
        services: Services | None = None,
        startup_error: str | None = None,
        latency_format: LatencyFormatter = format_latency,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        if services is None and startup_error is None:
            raise ValueError("AmprealizeApp needs services, or the error that stopped them opening")
        self.settings = settings
        self.services = services
        self.startup_error = startup_error
        self.latency_format = latency_format
        self.cursor_blink = cursor_blink
        """False in tests and snapshots: text cursors stay solid."""

    def get_default_screen(self) -> Screen:
        if self.services is None:
            from amprealize_tui.tui.screens.startup_error import StartupErrorScreen

            return StartupErrorScreen(self.startup_error or "unknown error")
        from amprealize_tui.tui.screens.chat import ChatScreen
        from amprealize_tui.tui.widgets.messages import RenderContext

        catalog = self.services.catalog

        def model_name(model_id: str) -> str:
            model = catalog.get(model_id)
            return model.display_name if model is not None else model_id

        return ChatScreen(self.services, RenderContext(model_name, self.latency_format))

    def on_mount(self) -> None:
        from amprealize_tui.tui.ui_state import remember_theme

        if self.settings is not None:  # None when the settings themselves failed to load
            remember_theme(self, self.settings)

    async def on_unmount(self) -> None:
        """The app owns its services: close the provider client and the store on exit."""
        if self.services is not None:
            await self.services.aclose()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Settings and audit need the services: hidden when they did not open.
        return self.services is not None or action not in ("open_settings", "open_audit")

    # -- screens owned by the settings helper ------------------------------------------------

    def _push_optional(self, module: str, name: str, *args: object) -> None:
        try:
            module_object = importlib.import_module(f"amprealize_tui.tui.screens.{module}")
            screen_class = getattr(module_object, name)
        except (ModuleNotFoundError, AttributeError):
            self.notify(f"The {module} screen is not available in this build.", severity="warning")
            return
        self.push_screen(screen_class(*args))

    def action_open_settings(self) -> None:
        if self.services is not None:
            self._push_optional("settings", "SettingsScreen", self.services)

    def action_open_audit(self) -> None:
        if self.services is not None:
            self._push_optional("audit", "AuditScreen", self.services)

    def action_show_help(self) -> None:
        self._push_optional("help", "HelpScreen")

    # -- chat actions (the palette and the chat screen's bindings call these) -----------------

    @property
    def chat(self) -> ChatScreen | None:
        from amprealize_tui.tui.screens.chat import ChatScreen

        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                return screen
        return None

    def _chat_on_top(self) -> ChatScreen | None:
        """The chat screen, after closing whatever was pushed over it (settings, audit...)."""
        chat = self.chat
        if chat is not None:
            while self.screen is not chat and len(self.screen_stack) > 1:
                self.pop_screen()
        return chat

    async def action_new_conversation(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            await chat.new_conversation()

    def action_delete_conversation(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            self.run_worker(chat.delete_current(), name="delete-conversation")

    def action_set_route_mode(self, mode: str) -> None:
        if (chat := self.chat) is not None:
            chat.set_route_mode(RouteMode(mode))
            self.notify(f"Route mode: {mode}", timeout=2)

    def action_pick_model(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            chat.pick_model()

    def action_toggle_sidebar(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            chat.toggle_sidebar()

    def action_copy_last_reply(self) -> None:
        if (chat := self.chat) is not None:
            chat.copy_last_reply()
