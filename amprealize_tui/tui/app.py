"""The Textual application. Thin: screens and widgets do the work, core services hold state.

App-level actions are the names the command palette and the screens call; the chat actions
delegate to the chat screen. Settings, audit and help screens are imported lazily (start-up cost).

Start-up: the chat screen paints first; the core services (pydantic routing, httpx, cryptography,
keyring, sqlite) are imported and opened in a worker thread after that first paint, then attached
to the chat. `startup_done` is set once the chat is live or the start-up error screen shows.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from amprealize_tui.tui.palette import AppCommands
from amprealize_tui.tui.screens.chat import ChatScreen
from amprealize_tui.tui.stylesheet import stylesheet_path

if TYPE_CHECKING:
    from amprealize_tui.core.config import Settings
    from amprealize_tui.core.services import Services
    from amprealize_tui.tui.widgets.badges import LatencyFormatter

ServicesOpener = Callable[[], "Services"]
"""Imports and opens the core services (in a worker thread); raises when they cannot open."""

# Chat actions that need the services; hidden (footer, palette) until they are attached.
_NEEDS_SERVICES = frozenset(
    {
        "open_settings",
        "open_audit",
        "new_conversation",
        "new_project_chat",
        "delete_conversation",
        "set_route_mode",
        "pick_model",
        "copy_last_reply",
    }
)


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
        *,
        services: Services | None = None,
        open_services: ServicesOpener | None = None,
        latency_format: LatencyFormatter | None = None,
        cursor_blink: bool = True,
        initial_theme: str | None = None,
    ) -> None:
        """Give `services` already open (tests, snapshots: the chat is live at its first paint),
        or `open_services` to open them after the first paint; then `initial_theme` (the
        remembered one) colours the frames painted while they open."""
        super().__init__()
        if (services is None) == (open_services is None):
            raise ValueError("AmprealizeApp needs either its services or a way to open them")
        self.services = services
        self.settings: Settings | None = services.settings if services else None
        self.startup_error: str | None = None
        self.startup_done = asyncio.Event()
        self.latency_format = latency_format
        self.cursor_blink = cursor_blink
        """False in tests and snapshots: text cursors stay solid."""
        self._open_services = open_services
        self._initial_theme = initial_theme
        self._opener: Worker[str | None] | None = None
        self._handover = threading.Lock()  # the opener thread vs. an exit while it runs
        self._opened: Services | None = None
        self._closing = False

    def get_default_screen(self) -> Screen:
        return ChatScreen(self.services, latency_format=self.latency_format)

    def on_mount(self) -> None:
        if self._open_services is None:
            self._remember_theme()
        else:
            if self._initial_theme in self.available_themes:
                self.theme = self._initial_theme  # unknown names: remember_theme warns later
            self.call_after_refresh(self._start_opening)

    def _remember_theme(self) -> None:
        from amprealize_tui.tui.ui_state import remember_theme

        if self.settings is not None:
            remember_theme(self, self.settings)

    # -- opening the services after the first paint -------------------------------------------

    def _start_opening(self) -> None:
        self._opener = self.run_worker(
            self._open_in_thread, name="open-services", group="startup", thread=True
        )

    def _open_in_thread(self) -> str | None:
        """In a worker thread: open the services and leave them for `_attach`. Returns the
        start-up problem to show instead; an unexpected error propagates (the app exits with
        the traceback, as any bug would)."""
        from amprealize_tui.tui.startup import startup_problem

        assert self._open_services is not None
        try:
            services: Services | None = self._open_services()
        except Exception as exc:
            problem = startup_problem(exc)
            if problem is None:
                raise
            return problem
        with self._handover:
            if not self._closing:
                self._opened, services = services, None
        if services is not None:  # the app exited while they opened: nobody else will close them
            asyncio.run(services.aclose())
        return None

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._opener or event.state is not WorkerState.SUCCESS:
            return
        problem = event.worker.result
        if problem is not None:
            await self._show_startup_error(problem)
        elif self._opened is not None:
            self.services = self._opened
            self.settings = self._opened.settings
            self._remember_theme()
            chat = self.chat
            if chat is not None:
                await chat.attach(self._opened)

    async def _show_startup_error(self, problem: str) -> None:
        from amprealize_tui.tui.screens.startup_error import StartupErrorScreen

        self.startup_error = problem
        while len(self.screen_stack) > 1:  # help, say, opened while starting
            self.pop_screen()
        await self.push_screen(StartupErrorScreen(problem))  # over the chat, which never goes live
        self.startup_done.set()

    def on_chat_screen_attached(self, _message: ChatScreen.Attached) -> None:
        self.startup_done.set()

    async def on_unmount(self) -> None:
        """The app owns its services: close the provider client and the store on exit."""
        with self._handover:
            self._closing = True
            services = self.services or self._opened
        if services is not None:
            await services.aclose()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.services is not None or action not in _NEEDS_SERVICES

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
        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                return screen
        return None

    @property
    def live_chat(self) -> ChatScreen | None:
        """The chat screen once its services are attached."""
        chat = self.chat
        return chat if chat is not None and chat.attached else None

    def _chat_on_top(self, *, live: bool = True) -> ChatScreen | None:
        """The (live) chat screen, after closing whatever was pushed over it (settings...)."""
        chat = self.live_chat if live else self.chat
        if chat is not None:
            while self.screen is not chat and len(self.screen_stack) > 1:
                self.pop_screen()
        return chat

    async def action_new_conversation(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            await chat.new_conversation()

    def action_new_project_chat(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            self.run_worker(chat.new_project_chat(), name="new-project-chat")

    def action_rename_conversation(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            self.run_worker(chat.rename_current(), name="rename-conversation")

    def action_export_conversation(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            chat.export_current()

    def action_delete_conversation(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            self.run_worker(chat.delete_current(), name="delete-conversation")

    def action_search(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            self.run_worker(chat.search(), name="search")

    def action_set_route_mode(self, mode: str) -> None:
        if (chat := self.live_chat) is not None:
            from amprealize_tui.core.routing.contract import RouteMode

            chat.set_route_mode(RouteMode(mode))
            self.notify(f"Route mode: {mode}", timeout=2)

    def action_pick_model(self) -> None:
        if (chat := self._chat_on_top()) is not None:
            chat.pick_model()

    def action_toggle_prefer_user_key(self) -> None:
        if (chat := self.live_chat) is not None:
            chat.toggle_prefer_user_key()

    def action_toggle_sidebar(self) -> None:
        if (chat := self._chat_on_top(live=False)) is not None:
            chat.toggle_sidebar()

    def action_copy_last_reply(self) -> None:
        if (chat := self.live_chat) is not None:
            chat.copy_last_reply()
