"""The chat screen: conversation list, conversation pane and composer, driving the reply service.

Every reply-service call (send, approve, deny, choose, retry) is an async generator of events;
one worker at a time consumes it and applies each event to the pane. Escape cancels that worker:
the service then saves the partial reply as incomplete, and the pane re-reads it from the store.

Start-up: the screen is painted before the core services open (the app opens them in a thread).
Until `attach` hands them over, the prompt takes input, the pickers say they are loading, and a
message sent meanwhile waits in the prompt and goes out as soon as the services are ready. So the
first paint imports no core module: those (and the message views, which need Markdown) are
imported where they are first used, after `attach`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.worker import Worker, WorkerState

from amprealize_tui.tui.widgets.composer import Composer, PromptArea
from amprealize_tui.tui.widgets.conversation_list import ConversationList, scope_label
from amprealize_tui.tui.widgets.wait_note import ModelWaitNote

if TYPE_CHECKING:
    from amprealize_tui.core.conversations.events import ReplyEvent
    from amprealize_tui.core.conversations.models import Conversation
    from amprealize_tui.core.routing.contract import RouteMode
    from amprealize_tui.core.services import Services
    from amprealize_tui.tui.widgets.badges import LatencyFormatter
    from amprealize_tui.tui.widgets.conversation_pane import ConversationPane
    from amprealize_tui.tui.widgets.notices import ApprovalCard, ClarificationCard, ErrorNotice

PAGE_SIZE = 24
SIDEBAR_MIN_WIDTH = 100  # below this the conversation list starts hidden
SETTINGS_COMMAND = "/settings"
SEARCH_COMMAND = "/search"
RENAME_COMMAND = "/rename"
EXPORT_COMMAND = "/export"
HIT_CONTEXT = 4  # older messages mounted above a search hit, so it is not at the very top
PROJECT_CHAT_KEY = "ctrl+o"  # function keys and ctrl+letters work everywhere; ctrl+shift does not
STARTING_NOTE = "Starting… your message is kept and goes out as soon as the app is ready."


class ChatScreen(Screen[None]):
    AUTO_FOCUS = "#prompt"  # focused as the screen activates, so the very first key is typed
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (SIDEBAR_MIN_WIDTH, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_reply", "Stop reply", id="chat.stop"),
        Binding("ctrl+up", "focus_messages", "Messages", show=False, id="chat.focus_messages"),
        Binding("ctrl+n", "app.new_conversation", "New chat", id="chat.new"),
        Binding(PROJECT_CHAT_KEY, "app.new_project_chat", "Project chat", id="chat.new_project"),
        Binding("ctrl+b", "app.toggle_sidebar", "Chats", id="chat.sidebar"),
        Binding("ctrl+f", "app.search", "Search", show=False, id="chat.search"),
        Binding("ctrl+g", "app.pick_model", "Model", show=False, id="chat.pick_model"),
        Binding("f4", "app.copy_last_reply", "Copy reply", show=False, id="chat.copy_last"),
        Binding("f8", "app.delete_conversation", "Delete chat", show=False, id="chat.delete"),
    ]

    def __init__(
        self, services: Services | None = None, *, latency_format: LatencyFormatter | None = None
    ) -> None:
        """`services` when they are already open (tests, snapshots); otherwise the app calls
        `attach` once it has opened them."""
        super().__init__(id="chat")
        self._services = services
        self._latency_format = latency_format
        self._pane: ConversationPane | None = None
        self._send_when_ready = False
        self.conversation: Conversation | None = None
        self._reply: Worker[None] | None = None
        self._reply_card_id: str | None = None
        self._unsubscribe_vault: Any = None
        self._wait_note: ModelWaitNote | None = None
        self.prefer_user_key = False
        """Pay with the user's own key before a project's or org's (palette toggle)."""

    class Attached(TextualMessage):
        """The services are attached and the first conversation is shown: the chat is live."""

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield ConversationList(id="sidebar")
            with Vertical(id="chat-column"):
                yield Static("Starting…", id="conversation-loading")
                with Composer(id="composer"):
                    yield from Composer.parts()
        yield Footer(compact=True)

    @property
    def services(self) -> Services:
        if self._services is None or self._pane is None:
            raise RuntimeError("The chat's services are not attached yet.")
        return self._services

    @property
    def attached(self) -> bool:
        return self._pane is not None

    @property
    def pane(self) -> ConversationPane:
        if self._pane is None:
            raise RuntimeError("The conversation pane appears once the services are attached.")
        return self._pane

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def wait_note(self) -> ModelWaitNote:
        if self._wait_note is None:
            self._wait_note = ModelWaitNote(self, self.composer)
        return self._wait_note

    @property
    def sidebar(self) -> ConversationList:
        return self.query_one(ConversationList)

    async def on_mount(self) -> None:
        self.sidebar.display = self.app.size.width >= SIDEBAR_MIN_WIDTH
        self.sub_title = "starting…"
        if self._services is not None:
            await self.attach(self._services)

    async def attach(self, services: Services) -> None:
        """Go live on `services`: show the pane, the pickers and the newest conversation, then
        send what the user submitted while the services were opening."""
        from amprealize_tui.core.routing.contract import RouteMode
        from amprealize_tui.tui.widgets.badges import format_latency
        from amprealize_tui.tui.widgets.conversation_pane import ConversationPane
        from amprealize_tui.tui.widgets.messages import RenderContext

        self._services = services
        catalog = services.catalog

        def model_name(model_id: str) -> str:
            model = catalog.get(model_id)
            return model.display_name if model is not None else model_id

        context = RenderContext(model_name, self._latency_format or format_latency)
        pane = ConversationPane(context, id="conversation")
        with self.app.batch_update():
            await self.query_one("#chat-column").mount(pane, before=self.composer)
            await self.query_one("#conversation-loading").remove()
            await self.composer.enable_route_modes(tuple(RouteMode), services.settings.route_mode)
        self._pane = pane
        self._unsubscribe_vault = services.vault.subscribe(self._on_vault_change)
        conversations = services.store.list_conversations()
        await self.open_conversation(conversations[0] if conversations else None)
        if self.focused is None:
            self.composer.focus_prompt()
        self.app.refresh_bindings()
        self.post_message(self.Attached())
        if self._send_when_ready:
            self._send_when_ready = False
            self.composer.show_status("")
            text = self.composer.prompt.text
            if text.strip():
                await self.submit(text)

    def on_unmount(self) -> None:
        if self._unsubscribe_vault is not None:
            self._unsubscribe_vault()
            self._unsubscribe_vault = None

    # -- models ------------------------------------------------------------------------------

    def refresh_models(self) -> None:
        """Re-read availability (after a key change, or when the conversation's project changes):
        a project conversation's picker counts that project's keys, which are resolved first."""
        from amprealize_tui.tui.widgets.model_choices import picker_state

        project_id = self.conversation.project_id if self.conversation else None
        availability = self.services.availability(
            project_id=project_id, prefer_user=self.prefer_user_key
        )
        self.composer.show_models(picker_state(availability))

    def toggle_prefer_user_key(self) -> None:
        """Switch between paying with your own key first and the project's or org's first; the
        picker's label shows which key pays."""
        self.prefer_user_key = not self.prefer_user_key
        self.refresh_models()
        if self.prefer_user_key:
            self.notify("Replies now use your own key first, then the project's or org's.")
        else:
            self.notify("Replies now use the project's or org's key first, then your own.")

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

    async def open_conversation(
        self, conversation: Conversation | None, *, at_message: str | None = None
    ) -> None:
        """Show `conversation`: its newest page, or (for a search hit) a page-sized window that
        starts just above message `at_message`."""
        self.conversation = conversation
        self._show_heading()
        self._refresh_sidebar()
        self.refresh_models()
        if conversation is None:
            await self.pane.show([], has_older=False)
            return
        store = self.services.store
        hit = store.get_message(at_message) if at_message else None
        if hit is None or hit.conversation_id != conversation.id:
            page = store.messages_page(conversation.id, limit=PAGE_SIZE + 1)
            await self.pane.show(page[:PAGE_SIZE], has_older=len(page) > PAGE_SIZE)
            return
        newer_count = PAGE_SIZE - 1 - HIT_CONTEXT
        newer = store.messages_page(conversation.id, limit=newer_count + 1, after=hit.id)
        older = store.messages_page(conversation.id, limit=HIT_CONTEXT + 1, before=hit.id)
        await self.pane.show(
            [*newer[-newer_count:], hit, *older[:HIT_CONTEXT]],
            has_older=len(older) > HIT_CONTEXT,
            has_newer=len(newer) > newer_count,
        )

    async def search(self, query: str = "") -> None:
        """Ask what to find (SearchScreen), then open the chosen message's conversation there."""
        from amprealize_tui.tui.screens.search import SearchScreen

        hit = await self.app.push_screen_wait(SearchScreen(self.services.store, query))
        if hit is None:
            self.composer.focus_prompt()
            return
        conversation = self.services.store.get_conversation(hit.conversation_id)
        if conversation is None:
            self.notify("That conversation was deleted.", severity="warning")
            return
        await self.open_conversation(conversation, at_message=hit.message_id)
        view = self.pane.view(hit.message_id)
        if view is None:  # deleted since it was found: the conversation opened at its newest
            self.composer.focus_prompt()
            return
        view.focus(scroll_visible=False)
        self.call_after_refresh(view.scroll_visible, top=True, animate=False)

    async def new_conversation(self) -> None:
        conversation = self.services.store.create_conversation()
        await self.open_conversation(conversation)
        self.composer.focus_prompt()

    async def new_project_chat(self) -> None:
        """Ask for a project id, then open a new conversation in that project's space."""
        from amprealize_tui.core.routing.contract import ConversationScope
        from amprealize_tui.tui.screens.project_chat import ProjectChatScreen

        project_id = await self.app.push_screen_wait(ProjectChatScreen())
        if project_id is None:
            self.composer.focus_prompt()
            return
        conversation = self.services.store.create_conversation(
            scope=ConversationScope.PROJECT_SPACE, project_id=project_id
        )
        await self.open_conversation(conversation)
        self.composer.focus_prompt()

    async def rename_current(self, title: str | None = None) -> None:
        """Rename the open conversation to `title`, or to what the user types in a dialog."""
        from amprealize_tui.core.conversations.store import check_title
        from amprealize_tui.tui.screens.text_prompt import TextPromptScreen

        conversation = self.conversation
        if conversation is None:
            self.notify("No conversation is open to rename.", severity="warning")
            return

        def problem(text: str) -> str | None:
            try:
                check_title(text)
            except ValueError as exc:
                reason = str(exc)
                return reason[:1].upper() + reason[1:]
            return None

        if title is None or problem(title) is not None:
            title = await self.app.push_screen_wait(
                TextPromptScreen(
                    title="Rename conversation",
                    intro="The name shown in the conversation list and the header.",
                    placeholder="conversation title",
                    confirm="Rename",
                    problem=problem,
                    value=title or conversation.title,
                )
            )
            if title is None:
                self.composer.focus_prompt()
                return
        self.services.store.rename_conversation(conversation.id, title)
        self._reload_heading()
        self.composer.focus_prompt()

    def export_current(self, directory: Path | None = None) -> None:
        """Save the open conversation as Markdown in `directory` (default: where the app was
        started), never overwriting a file, and say where it went."""
        from amprealize_tui.core.conversations.export import (
            conversation_markdown,
            export_file_name,
            write_new_file,
        )

        conversation = self.conversation
        if conversation is None:
            self.notify("No conversation is open to export.", severity="warning")
            return

        def model_name(model_id: str) -> str:
            model = self.services.catalog.get(model_id)
            return model.display_name if model else model_id

        text = conversation_markdown(self.services.store, conversation, model_name)
        target = directory or Path.cwd()
        try:
            path = write_new_file(target, export_file_name(conversation.title), text)
        except OSError as exc:
            self.notify(
                f"Could not write the export to {target}: {exc.strerror or exc}. Start the app "
                "from a directory you can write to, or check its permissions.",
                severity="error",
                title="Not exported",
            )
            return
        self.notify(f"Saved as {path}", title="Exported", timeout=8)

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

    async def on_conversation_pane_need_newer(self, event: ConversationPane.NeedNewer) -> None:
        if self.conversation is None:
            return
        page = self.services.store.messages_page(
            self.conversation.id, limit=PAGE_SIZE + 1, after=event.after_id
        )
        await self.pane.append_page(page[-PAGE_SIZE:], has_newer=len(page) > PAGE_SIZE)

    # -- copying -----------------------------------------------------------------------------

    def copy_last_reply(self) -> None:
        replies = self.pane.replies
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
        from amprealize_tui.core.conversations.events import (
            InputRejected,
            MessageAdded,
            MessageUpdated,
            ModelWorking,
            ReplyDelta,
            ReplyRestarted,
        )
        from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
        from amprealize_tui.tui.widgets.messages import AssistantMessageView

        if isinstance(event, ModelWorking):
            model = self.services.catalog.get(event.model_id)
            name = model.display_name if model else event.model_id
            self.wait_note.working(name, thinking=event.thinking)
            return
        if isinstance(event, ReplyDelta | MessageAdded | MessageUpdated):
            self.wait_note.stop()  # text (or a notice) arrived
        if isinstance(event, InputRejected):
            self.composer.show_status(event.error, error=True)
            self.notify(event.error, severity="error", title="Not sent")
            return
        if isinstance(event, ReplyDelta | ReplyRestarted):
            view = self.pane.view(event.message_id)
            if isinstance(view, AssistantMessageView):
                if isinstance(event, ReplyRestarted):
                    await view.restart()
                else:
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
        if self.pane.has_newer and self.pane.view(message.id) is None:
            await self.open_conversation(self.conversation)  # a window (search hit): go newest
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
        if not self.attached:
            self._send_when_ready = True
            self.composer.show_status(STARTING_NOTE, warning=True)
            return
        await self.submit(event.text)

    def _run_command(self, text: str) -> bool:
        """Run a composer command (`/settings`, `/search words`, `/rename title`, `/export`);
        False when `text` is a message to send. Commands are never sent to the model."""
        command, _, words = text.strip().partition(" ")
        words = words.strip()
        if command == SETTINGS_COMMAND:
            self.run_worker(self.app.run_action("open_settings"), name="settings")
        elif command == SEARCH_COMMAND:
            self.app.run_worker(self.search(words), name="search")
        elif command == RENAME_COMMAND:
            self.app.run_worker(self.rename_current(words or None), name="rename")
        elif command == EXPORT_COMMAND:
            self.export_current()
        else:
            return False
        self.composer.take_text()
        return True

    async def submit(self, text: str) -> None:
        """Send `text` from the prompt (it leaves the prompt once the store has it)."""
        if self._run_command(text):
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
                self.conversation.id,
                text,
                model_id=model_id,
                mode=self.composer.route_mode,
                credential_scope="user" if self.prefer_user_key else None,
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
            self.wait_note.stop()
            self._point_to_next_step()

    def _point_to_next_step(self) -> None:
        """Say how to act on a card that waits for the user. Cards are never focused for the
        user: a key typed for the composer must not approve a high-risk action."""
        from amprealize_tui.tui.widgets.notices import next_step_hint

        views = self.pane.views
        personal = self.conversation is None or not self.conversation.project_id
        hint = next_step_hint(
            views[-1] if views else None, personal=personal, project_chat_key=PROJECT_CHAT_KEY
        )
        if hint or not self.composer.has_error:
            self.composer.show_status(hint, warning=bool(hint))
        if self.focused not in views:
            self.composer.focus_prompt()

    def on_key(self, event: events.Key) -> None:
        """A character (or enter) that reached the screen instead of the prompt goes to the
        prompt: keys typed as the app starts (queued before the prompt took focus) and keys typed
        while nothing has focus are not lost."""
        prompt = self.composer.prompt
        if self.focused not in (None, prompt):
            return  # a key for a selected message or the conversation list
        # (Keys the prompt handles never get here: it stops them.)
        if event.is_printable and event.character:
            prompt.focus()
            prompt.insert(event.character)
            event.stop()
        elif event.key in ("enter", "ctrl+j"):
            # Enter typed ahead sends. Typed before the app switched the terminal to raw mode,
            # Enter arrives as a line feed, which reads as ctrl+j.
            prompt.focus()
            prompt.action_submit()
            event.stop()

    def action_focus_prompt(self) -> None:
        self.composer.focus_prompt()

    def action_focus_messages(self) -> None:
        views = self.pane.views
        if views:
            views[-1].focus()

    async def _settle_interrupted(self) -> None:
        """After a cancel, show each still-streaming reply as the store saved it."""
        from amprealize_tui.core.conversations.models import MessageStatus

        for view in self.pane.replies:
            if view.is_streaming or view.message.status is MessageStatus.STREAMING:
                saved = self.services.store.get_message(view.message.id)
                await view.finish(saved or view.message)
