"""The chat screen: conversation list, conversation pane and composer, driving the reply service.

Every reply-service call (send, approve, deny, choose, retry) is an async generator of events;
one worker at a time consumes it and applies each event to the pane. Escape cancels that worker:
the service then saves the partial reply as incomplete, and the pane re-reads it from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList
from textual.worker import Worker, WorkerState

from amprealize_tui.core.conversations.events import (
    InputRejected,
    MessageAdded,
    MessageUpdated,
    ReplyDelta,
    ReplyEvent,
)
from amprealize_tui.core.conversations.models import Conversation, MessageRole, MessageStatus
from amprealize_tui.core.routing.contract import RouteMode
from amprealize_tui.tui.widgets.composer import Composer, PromptArea, picker_state
from amprealize_tui.tui.widgets.conversation_list import ConversationList, scope_label
from amprealize_tui.tui.widgets.conversation_pane import ConversationPane
from amprealize_tui.tui.widgets.messages import AssistantMessageView, MessageView, RenderContext
from amprealize_tui.tui.widgets.notices import ApprovalCard, ClarificationCard, ErrorNotice

if TYPE_CHECKING:
    from amprealize_tui.core.services import Services

PAGE_SIZE = 40
SIDEBAR_MIN_WIDTH = 100  # below this the conversation list starts hidden
SETTINGS_COMMAND = "/settings"


class ChatScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (SIDEBAR_MIN_WIDTH, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_reply", "Stop reply", id="chat.stop"),
        Binding("ctrl+up", "focus_messages", "Messages", id="chat.focus_messages"),
        Binding("ctrl+n", "app.new_conversation", "New chat", id="chat.new"),
        Binding("ctrl+b", "app.toggle_sidebar", "Chats", id="chat.sidebar"),
        Binding("ctrl+g", "app.pick_model", "Model", show=False, id="chat.pick_model"),
        Binding("f4", "app.copy_last_reply", "Copy reply", show=False, id="chat.copy_last"),
        Binding("f8", "app.delete_conversation", "Delete chat", show=False, id="chat.delete"),
    ]

    def __init__(self, services: Services, context: RenderContext) -> None:
        super().__init__(id="chat")
        self.services = services
        self.context = context
        self.conversation: Conversation | None = None
        self._reply: Worker[None] | None = None
        self._reply_card_id: str | None = None
        self._unsubscribe_vault: Any = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield ConversationList(id="sidebar")
            with Vertical(id="chat-column"):
                yield ConversationPane(self.context, id="conversation")
                yield Composer(self.services.settings.route_mode, id="composer")
        yield Footer(compact=True)

    @property
    def pane(self) -> ConversationPane:
        return self.query_one(ConversationPane)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def sidebar(self) -> ConversationList:
        return self.query_one(ConversationList)

    async def on_mount(self) -> None:
        self.sidebar.display = self.app.size.width >= SIDEBAR_MIN_WIDTH
        self._unsubscribe_vault = self.services.vault.subscribe(self._on_vault_change)
        conversations = self.services.store.list_conversations()
        await self.open_conversation(conversations[0] if conversations else None)
        self.composer.focus_prompt()

    def on_unmount(self) -> None:
        if self._unsubscribe_vault is not None:
            self._unsubscribe_vault()
            self._unsubscribe_vault = None

    # -- models ------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """Re-read availability (after a key change, or when the conversation's project changes)."""
        project_id = self.conversation.project_id if self.conversation else None
        self.composer.show_models(picker_state(self.services.availability(project_id=project_id)))

    def _on_vault_change(self, _change: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # called from a worker thread
            self.app.call_from_thread(self.refresh_models)
        else:
            self.refresh_models()

    def pick_model(self) -> None:
        picker = self.composer.model_picker
        if picker.disabled:
            self.notify(self.composer.query_one("#composer-status").render().plain or "")
            return
        picker.focus()
        picker.action_show_overlay()

    def set_route_mode(self, mode: RouteMode) -> None:
        self.composer.set_route_mode(mode)

    # -- conversations -----------------------------------------------------------------------

    def _show_heading(self) -> None:
        parts = [scope_label(self.conversation), self.services.settings.user_id]
        if self.conversation is not None:
            parts.append(self.conversation.title)
        self.sub_title = " · ".join(parts)

    def _refresh_sidebar(self) -> None:
        current = self.conversation.id if self.conversation else None
        self.sidebar.show(self.services.store.list_conversations(), current)

    async def open_conversation(self, conversation: Conversation | None) -> None:
        self.conversation = conversation
        self._show_heading()
        self._refresh_sidebar()
        self.refresh_models()
        if conversation is None:
            await self.pane.show([], has_older=False)
            return
        page = self.services.store.messages_page(conversation.id, limit=PAGE_SIZE + 1)
        await self.pane.show(page[:PAGE_SIZE], has_older=len(page) > PAGE_SIZE)

    async def new_conversation(self) -> None:
        conversation = self.services.store.create_conversation()
        await self.open_conversation(conversation)
        self.composer.focus_prompt()

    async def delete_current(self) -> None:
        """Delete the open conversation after the user confirms it."""
        from amprealize_tui.tui.screens.confirm_delete import ConfirmDeleteScreen

        conversation = self.conversation
        if conversation is None:
            self.notify("No conversation is open.", severity="warning")
            return
        if not await self.app.push_screen_wait(ConfirmDeleteScreen(conversation.title)):
            return
        self.services.store.delete_conversation(conversation.id)
        remaining = self.services.store.list_conversations()
        await self.open_conversation(remaining[0] if remaining else None)
        self.notify(f"Deleted “{conversation.title}”.", timeout=3)

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list is not self.sidebar or event.option_id is None:
            return
        conversation = self.services.store.get_conversation(event.option_id)
        if conversation is not None:
            await self.open_conversation(conversation)
            self.composer.focus_prompt()

    def toggle_sidebar(self) -> None:
        self.sidebar.display = not self.sidebar.display

    async def on_conversation_pane_need_older(self, event: ConversationPane.NeedOlder) -> None:
        if self.conversation is None:
            return
        page = self.services.store.messages_page(
            self.conversation.id, limit=PAGE_SIZE + 1, before=event.before_id
        )
        await self.pane.prepend(page[:PAGE_SIZE], has_older=len(page) > PAGE_SIZE)

    # -- copying -----------------------------------------------------------------------------

    def copy_last_reply(self) -> None:
        replies = [v for v in self.pane.views if isinstance(v, AssistantMessageView)]
        if not replies:
            self.notify("There is no reply to copy yet.", severity="warning")
            return
        replies[-1].action_copy()

    # -- sending and the governed flow -------------------------------------------------------

    @property
    def replying(self) -> bool:
        return self._reply is not None and self._reply.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return self.replying
        return True

    def action_cancel_reply(self) -> None:
        if self._reply is not None and self.replying:
            self._reply.cancel()

    def _start(
        self, events: AsyncIterator[ReplyEvent], name: str, *, card_id: str | None = None
    ) -> None:
        """Consume one reply-service call in a worker; `card_id` is the notice acted on, shown
        again as persisted if the call cannot run or fails."""
        if self.replying:
            self.notify("A reply is still in progress; press Escape to stop it.")
            self._resync(card_id)
            return
        self._reply_card_id = card_id
        self._reply = self.run_worker(
            self._consume(events), name=name, group="reply", exit_on_error=False
        )
        self.refresh_bindings()

    def _resync(self, message_id: str | None) -> None:
        view = self.pane.view(message_id) if message_id else None
        saved = self.services.store.get_message(message_id) if message_id else None
        if view is not None and saved is not None:
            view.update_message(saved)

    class ReplyEventArrived(TextualMessage):
        def __init__(self, event: ReplyEvent) -> None:
            super().__init__()
            self.event = event

    async def _consume(self, events: AsyncIterator[ReplyEvent]) -> None:
        """Pull events and hand them to the screen's queue. Pulling is the worker's only await,
        so a cancel always lands inside the reply service, which then saves the partial reply."""
        async for event in events:
            self.post_message(self.ReplyEventArrived(event))

    async def on_chat_screen_reply_event_arrived(self, message: ReplyEventArrived) -> None:
        await self._apply(message.event)

    async def _apply(self, event: ReplyEvent) -> None:
        if isinstance(event, InputRejected):
            self.composer.show_status(event.error, error=True)
            self.notify(event.error, severity="error", title="Not sent")
            return
        if isinstance(event, ReplyDelta):
            view = self.pane.view(event.message_id)
            if isinstance(view, AssistantMessageView):
                await view.append_delta(event.text)
            return
        if not isinstance(event, MessageAdded | MessageUpdated):
            return  # RouteDecided: the notices and replies carry the route themselves
        message = event.message
        if self.conversation is None or message.conversation_id != self.conversation.id:
            return  # the user switched away; the store still gets everything
        if message.role is MessageRole.USER and isinstance(event, MessageAdded):
            self.composer.take_text()
            self.composer.show_status("")
            self._reload_heading()  # the reply service titles a conversation by its first message
        view = self.pane.view(message.id)
        if isinstance(view, AssistantMessageView) and message.status is not MessageStatus.STREAMING:
            await view.finish(message)
        elif view is not None:
            view.update_message(message)
        else:
            await self.pane.add(message)

    def _reload_heading(self) -> None:
        if self.conversation is None:
            return
        self.conversation = (
            self.services.store.get_conversation(self.conversation.id) or self.conversation
        )
        self._show_heading()
        self._refresh_sidebar()

    async def on_prompt_area_submitted(self, event: PromptArea.Submitted) -> None:
        text = event.text
        if text.strip() == SETTINGS_COMMAND:
            self.composer.take_text()
            await self.app.run_action("open_settings")
            return
        if self.replying:
            self.notify("A reply is still in progress; press Escape to stop it.")
            return
        model_id = self.composer.model_id
        if model_id is None:
            self.composer.show_status("No model is configured at all.", error=True)
            return
        if self.conversation is None:
            await self.new_conversation()
        assert self.conversation is not None
        self._start(
            self.services.replies.send(
                self.conversation.id, text, model_id=model_id, mode=self.composer.route_mode
            ),
            "send",
        )

    def on_approval_card_decided(self, event: ApprovalCard.Decided) -> None:
        replies = self.services.replies
        decide = replies.approve if event.approve else replies.deny
        name = "approve" if event.approve else "deny"
        self._start(decide(event.message_id), name, card_id=event.message_id)

    def on_clarification_card_chosen(self, event: ClarificationCard.Chosen) -> None:
        events = self.services.replies.choose(event.message_id, event.action_id)
        self._start(events, "choose", card_id=event.message_id)

    def on_error_notice_retry_requested(self, event: ErrorNotice.RetryRequested) -> None:
        events = self.services.replies.retry(event.message_id)
        self._start(events, "retry", card_id=event.message_id)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._reply:
            return
        self.refresh_bindings()
        if event.state is WorkerState.CANCELLED:
            await self._settle_interrupted()
        elif event.state is WorkerState.ERROR:
            self.notify(str(event.worker.error), severity="error", title="Could not do that")
            self._resync(self._reply_card_id)
            await self._settle_interrupted()
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED, WorkerState.ERROR):
            self._point_to_next_step()

    def _point_to_next_step(self) -> None:
        """Say how to act on a card that waits for the user. Cards are never focused for the
        user: a key typed for the composer must not approve a high-risk action."""
        views = self.pane.views
        last = views[-1] if views else None
        hint = ""
        if isinstance(last, ApprovalCard) and last.pending:
            hint = "Needs your approval: ctrl+↑ then a (approve) or d (deny), or click a button."
        elif isinstance(last, ClarificationCard) and last.open:
            hint = "Which did you mean? ctrl+↑ then 1-3, or click a choice."
        elif isinstance(last, ErrorNotice) and last.retryable:
            hint = "The reply failed: ctrl+↑ then r to retry, or click Retry."
        if hint or not self.composer.has_error:
            self.composer.show_status(hint, warning=bool(hint))
        if not isinstance(self.focused, MessageView):
            self.composer.focus_prompt()

    def action_focus_prompt(self) -> None:
        self.composer.focus_prompt()

    def action_focus_messages(self) -> None:
        views = self.pane.views
        if views:
            views[-1].focus()

    async def _settle_interrupted(self) -> None:
        """After a cancel, show each still-streaming reply as the store saved it."""
        for view in self.pane.views:
            if isinstance(view, AssistantMessageView) and (
                view.is_streaming or view.message.status is MessageStatus.STREAMING
            ):
                saved = self.services.store.get_message(view.message.id)
                await view.finish(saved or view.message)
