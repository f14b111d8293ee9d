"""Command palette provider (Ctrl+P): the app's main commands, each calling an app action.

Only commands whose action the app implements are offered, so the palette never lists a command
that would do nothing. The list is built on first use: the route modes come from the core
contract (pydantic), which the app's first paint does without.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    title: str
    help: str
    action: str
    """An action string for `App.run_action`, e.g. "set_route_mode('llm')"."""

    @property
    def method_name(self) -> str:
        return "action_" + self.action.split("(", 1)[0]


@cache
def commands() -> tuple[PaletteCommand, ...]:
    from amprealize_tui.core.routing.contract import RouteMode

    return (
        PaletteCommand("New conversation", "Start an empty conversation", "new_conversation"),
        PaletteCommand("New project chat", "Start a conversation in a project", "new_project_chat"),
        PaletteCommand("Settings: LLM API keys", "Add, delete, verify your keys", "open_settings"),
        PaletteCommand("Search conversations", "Find a message in any chat", "search"),
        PaletteCommand(
            "Rename conversation", "Give the open chat a new title", "rename_conversation"
        ),
        PaletteCommand(
            "Export conversation", "Save it as Markdown, with its routes", "export_conversation"
        ),
        PaletteCommand("Audit log", "Recent audit records and chain status", "open_audit"),
        *(
            PaletteCommand(
                f"Route mode: {mode.value}",
                f"Route messages with the {mode.value} router",
                f"set_route_mode({mode.value!r})",
            )
            for mode in RouteMode
        ),
        PaletteCommand("Pick model", "Choose the model that answers", "pick_model"),
        PaletteCommand(
            "Which key pays: mine first / project's first",
            "Use your own key before a project's or org's key, or the other way round",
            "toggle_prefer_user_key",
        ),
        PaletteCommand("Toggle conversation list", "Show or hide the sidebar", "toggle_sidebar"),
        PaletteCommand("Copy last reply", "Copy the last assistant reply", "copy_last_reply"),
    )


class AppCommands(Provider):
    """Add to the app's COMMANDS: `COMMANDS = App.COMMANDS | {AppCommands}`."""

    def _available(self) -> list[PaletteCommand]:
        return [c for c in commands() if callable(getattr(self.app, c.method_name, None))]

    async def discover(self) -> Hits:
        for command in self._available():
            yield DiscoveryHit(
                command.title, partial(self.app.run_action, command.action), help=command.help
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._available():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self.app.run_action, command.action),
                    text=command.title,
                    help=command.help,
                )
