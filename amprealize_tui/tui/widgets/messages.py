"""Message views: the user's text, streamed assistant replies, and the shared frame they use.

Every view is focusable so a message can be selected (copy it, expand its route). Text that came
from a model is untrusted: it is sanitized and rendered as Markdown or plain Content, never as
Rich/Textual markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from amprealize_tui.core.conversations.models import Message, MessageRole, MessageStatus
from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text
from amprealize_tui.tui.widgets.badges import (
    BadgeRow,
    LatencyFormatter,
    ModelNamer,
    format_latency,
    route_badges,
    route_of,
)
from amprealize_tui.tui.widgets.route_details import route_details_content


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What views need from outside to render metadata (the harness pins `latency`)."""

    model_name: ModelNamer
    latency: LatencyFormatter = format_latency


def view_id(message_id: str) -> str:
    return f"msg-{message_id}"


def clock_time(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%H:%M") if moment else ""


class MessageView(Vertical, can_focus=True):
    """Frame shared by every message: a header line, a body, the badge row, the route details."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "toggle_route", "Route", id="message.toggle_route"),
        Binding("c", "copy", "Copy", id="message.copy"),
        Binding("up", "step(-1)", "Previous", show=False, id="message.previous"),
        Binding("down", "step(1)", "Next", show=False, id="message.next"),
        Binding("i", "screen.focus_prompt", "Compose", show=False, id="message.compose"),
    ]

    ROLE_LABEL = "message"

    def __init__(self, message: Message, context: RenderContext) -> None:
        super().__init__(id=view_id(message.id), classes=f"message {self.ROLE_LABEL}")
        self.message = message
        self.context = context

    def compose(self) -> ComposeResult:
        yield Static(self.header_content(), classes="message-header", markup=False)
        yield from self.compose_body()
        yield BadgeRow(classes="badges")
        yield Static(classes="route-details")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.refresh_frame()

    def header_content(self) -> Content:
        when = clock_time(self.message.created_at)
        stamp = f" · {when}" if when else ""
        return Content.assemble((self.title(), "bold"), (stamp, "$text-muted"))

    def title(self) -> str:
        return self.ROLE_LABEL

    def refresh_frame(self) -> None:
        """Re-render the parts that depend on status and metadata."""
        self.query_one(".message-header", Static).update(self.header_content())
        badges = route_badges(
            self.message, model_name=self.context.model_name, latency=self.context.latency
        )
        self.query_one(BadgeRow).show_badges(badges)
        if self.has_class("expanded"):
            self._render_details()

    def update_message(self, message: Message) -> None:
        self.message = message
        self.refresh_frame()

    def copy_text(self) -> str:
        return self.message.content

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.copy_text())
        # OSC 52 asks the terminal to set the clipboard; whether it did, the app cannot know.
        self.notify(
            "Sent to your terminal's clipboard (OSC 52). If pasting gives something else, "
            "your terminal or tmux does not allow it (tmux: set -g set-clipboard on).",
            timeout=4,
        )

    async def action_step(self, offset: int) -> None:
        """Move the selection to the previous/next message; past the last one, to the composer."""
        siblings = list(self.parent.query_children(MessageView)) if self.parent else [self]
        index = siblings.index(self) + offset
        if 0 <= index < len(siblings):
            siblings[index].focus()
        elif index >= len(siblings):
            await self.screen.run_action("focus_prompt")

    def action_toggle_route(self) -> None:
        self.toggle_class("expanded")
        if self.has_class("expanded"):
            self._render_details()
            self.call_after_refresh(self.scroll_visible, animate=False)

    def _render_details(self) -> None:
        route = route_of(self.message.metadata)
        details = route_details_content(route, latency=self.context.latency)
        self.query_one(".route-details", Static).update(details)

    def on_click(self, event: events.Click) -> None:
        if isinstance(event.widget, BadgeRow):
            self.action_toggle_route()


class UserMessageView(MessageView):
    """The user's text. Its metadata names the requested model, which the reply's badges show,
    so it has no badge row of its own."""

    ROLE_LABEL = "you"

    def refresh_frame(self) -> None:
        super().refresh_frame()
        self.query_one(BadgeRow).display = False

    def compose_body(self) -> ComposeResult:
        yield Static(
            Content(sanitize_terminal_text(self.message.content)),
            classes="message-body",
            markup=False,
        )


class AssistantMessageView(MessageView):
    """A reply: streams as Markdown, then gets one full update so unclosed fences render."""

    ROLE_LABEL = "assistant"

    def __init__(self, message: Message, context: RenderContext) -> None:
        super().__init__(message, context)
        self._stream: MarkdownStream | None = None

    def compose_body(self) -> ComposeResult:
        yield Markdown(
            sanitize_terminal_text(self.message.content), classes="message-body", open_links=False
        )
        yield Static("(interrupted)", classes="interrupted")

    def title(self) -> str:
        if self.message.status is MessageStatus.STREAMING:
            return "assistant · writing…"
        return "assistant"

    def refresh_frame(self) -> None:
        super().refresh_frame()
        self.set_class(self.message.status is MessageStatus.INCOMPLETE, "incomplete")

    @property
    def is_streaming(self) -> bool:
        return self._stream is not None

    async def append_delta(self, text: str) -> None:
        if self._stream is None:
            self._stream = Markdown.get_stream(self.query_one(Markdown))
        await self._stream.write(sanitize_terminal_text(text))

    async def restart(self) -> None:
        """What streamed so far was the model's reasoning: clear it for the answer to come."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        await self.query_one(Markdown).update("")

    async def finish(self, message: Message) -> None:
        """The stream ended (complete, cut or cancelled): render the persisted text in full."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.message = message
        await self.query_one(Markdown).update(sanitize_terminal_text(message.content))
        self.refresh_frame()

    def copy_text(self) -> str:
        return sanitize_terminal_text(self.message.content)


def is_reply(message: Message) -> bool:
    return message.role is MessageRole.ASSISTANT
