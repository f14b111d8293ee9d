"""The scrolling conversation: mounts one page and asks for more at either end.

A 5,000-message conversation must open fast, so the pane never holds more than the pages the user
scrolled through. Normally it shows the newest page and asks for older ones at the top. It stays
anchored to the bottom (new tokens scroll into view) only while the user is at the bottom;
scrolling up releases the anchor (Textual's `anchor()` does exactly that).

Opened at a search hit, it shows a window around that message instead: then it also asks for
newer pages at the bottom, and stays unanchored until the newest message is mounted.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message as TextualMessage
from textual.widgets import Static

from amprealize_tui.core.conversations.models import Message
from amprealize_tui.tui.widgets.messages import (
    AssistantMessageView,
    MessageView,
    RenderContext,
    view_id,
)
from amprealize_tui.tui.widgets.notices import make_view

EMPTY_TEXT = (
    "Ask anything below. Every reply shows how it was routed: action, risk, approval, route "
    "source, model and which key paid for it. Governed actions ask first: try /tool to see an "
    "approval, or /invite to see a denial in personal chat."
)


class ConversationPane(VerticalScroll):
    class NeedOlder(TextualMessage):
        """Scrolled to the top while older messages exist; the screen loads the next page."""

        def __init__(self, before_id: str) -> None:
            super().__init__()
            self.before_id = before_id

    class NeedNewer(TextualMessage):
        """Scrolled to the bottom of a window that stops short of the newest message."""

        def __init__(self, after_id: str) -> None:
            super().__init__()
            self.after_id = after_id

    def __init__(self, context: RenderContext, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context = context
        self.has_older = False
        self.has_newer = False
        self._loading_older = False
        self._loading_newer = False

    def compose(self) -> ComposeResult:
        yield Static(EMPTY_TEXT, id="empty-conversation", markup=False)

    @property
    def views(self) -> list[MessageView]:
        return list(self.query_children(MessageView))

    @property
    def replies(self) -> list[AssistantMessageView]:
        return list(self.query_children(AssistantMessageView))

    def view(self, message_id: str) -> MessageView | None:
        try:
            return self.query_one(f"#{view_id(message_id)}", MessageView)
        except NoMatches:
            return None

    async def show(
        self, newest_first: Sequence[Message], *, has_older: bool, has_newer: bool = False
    ) -> None:
        """Replace the content with one page (as the store returns it: newest first); with
        `has_newer`, a window short of the newest message, left unanchored."""
        with self.app.batch_update():
            await self.remove_children(MessageView)
            await self.mount_all([make_view(m, self.context) for m in reversed(newest_first)])
            self.has_older = has_older
            self.has_newer = has_newer
            self._loading_older = self._loading_newer = False
            self._set_empty()
        self.anchor(not has_newer)

    async def prepend(self, newest_first: Sequence[Message], *, has_older: bool) -> None:
        """Mount an older page above the current one, keeping what the user sees in place."""
        self.has_older = has_older
        views = [make_view(m, self.context) for m in reversed(newest_first)]
        if views:
            from_bottom = self.max_scroll_y - self.scroll_y
            first = self.views[0] if self.views else None
            with self.app.batch_update():
                await self.mount_all(views, before=first)
            self.call_after_refresh(self._restore_offset, from_bottom)
        else:
            self._loading_older = False

    async def append_page(self, newest_first: Sequence[Message], *, has_newer: bool) -> None:
        """Mount a newer page below the window (what the user sees does not move)."""
        self.has_newer = has_newer
        with self.app.batch_update():
            await self.mount_all([make_view(m, self.context) for m in reversed(newest_first)])
        self._loading_newer = False

    def _restore_offset(self, from_bottom: float) -> None:
        self.scroll_to(y=self.max_scroll_y - from_bottom, animate=False, immediate=True)
        self._loading_older = False

    async def add(self, message: Message) -> MessageView:
        existing = self.view(message.id)
        if existing is not None:
            existing.update_message(message)
            return existing
        view = make_view(message, self.context)
        await self.mount(view)
        self._set_empty()
        return view

    def _set_empty(self) -> None:
        self.query_one("#empty-conversation").display = not self.views

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value <= 0 and self.has_older and not self._loading_older and self.views:
            self._loading_older = True
            self.post_message(self.NeedOlder(self.views[0].message.id))
        if new_value >= self.max_scroll_y and self.views and not self._loading_newer:
            if self.has_newer:
                self._loading_newer = True
                self.post_message(self.NeedNewer(self.views[-1].message.id))
            elif not self.is_anchored:
                self.anchor()  # the window reached the newest message: follow new tokens again
