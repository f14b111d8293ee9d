"""Governance notices inline in the conversation: approval cards, clarification choices,
denials and errors. Each posts a message the chat screen turns into a reply-service call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Button, Static

from amprealize_tui.core.conversations.models import Message, MessageRole, MessageStatus
from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text
from amprealize_tui.tui.widgets.messages import (
    AssistantMessageView,
    MessageView,
    RenderContext,
    UserMessageView,
)


def _decided_at(value: Any) -> str:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _text(message: Message) -> Content:
    return Content(sanitize_terminal_text(message.content))


class ApprovalCard(MessageView):
    """A high-risk or execute action waits here until the user approves or refuses it."""

    ROLE_LABEL = "approval"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "decide(True)", "Approve", id="approval.approve"),
        Binding("d", "decide(False)", "Deny", id="approval.deny"),
    ]

    class Decided(TextualMessage):
        def __init__(self, message_id: str, approve: bool) -> None:
            super().__init__()
            self.message_id = message_id
            self.approve = approve

    @property
    def pending(self) -> bool:
        return self.message.status is MessageStatus.PENDING_APPROVAL

    def title(self) -> str:
        return "approval needed" if self.pending else "approval"

    def compose_body(self) -> ComposeResult:
        yield Static(classes="message-body", markup=False)
        with Horizontal(classes="choices"):
            yield Button("Approve (a)", variant="success", id="approve", compact=True)
            yield Button("Deny (d)", variant="error", id="deny", compact=True)

    def body_content(self) -> Content:
        metadata = self.message.metadata
        candidate = metadata.get("candidate")
        candidate = candidate if isinstance(candidate, Mapping) else {}
        risk = metadata.get("risk") or candidate.get("risk") or "?"
        scopes = ", ".join(str(s) for s in metadata.get("required_scopes") or ()) or "none"
        parts: list[str | tuple[str, str] | Content] = [
            _text(self.message),
            "\nrisk: ",
            (str(risk), f"bold $text-{'error' if risk == 'high' else 'warning'}"),
            " · required scopes (any one): ",
            (scopes, "bold"),
        ]
        if not self.pending:
            verdict = "Approved" if self.message.status is MessageStatus.APPROVED else "Denied"
            who = metadata.get("decided_by") or "you"
            when = _decided_at(metadata["decided_at"]) if metadata.get("decided_at") else ""
            style = "bold $text-success" if verdict == "Approved" else "bold $text-error"
            parts += ["\n", (f"{verdict} by {who}" + (f" at {when}" if when else ""), style)]
        return Content.assemble(*parts)

    def refresh_frame(self) -> None:
        super().refresh_frame()
        self.query_one(".message-body", Static).update(self.body_content())
        self.query_one(".choices").display = self.pending

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "decide":
            return self.pending
        return True

    def action_decide(self, approve: bool) -> None:
        if self.pending and not self.has_class("deciding"):
            self.add_class("deciding")
            self.post_message(self.Decided(self.message.id, approve))

    def update_message(self, message: Message) -> None:
        self.remove_class("deciding")
        super().update_message(message)
        self.refresh_bindings()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_decide(event.button.id == "approve")


class ClarificationCard(MessageView):
    """The router was unsure: the user picks what they meant (buttons or keys 1-3)."""

    ROLE_LABEL = "clarification"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose(0)", "Choice 1", id="clarification.choose1"),
        Binding("2", "choose(1)", "Choice 2", id="clarification.choose2"),
        Binding("3", "choose(2)", "Choice 3", id="clarification.choose3"),
    ]

    class Chosen(TextualMessage):
        def __init__(self, message_id: str, action_id: str) -> None:
            super().__init__()
            self.message_id = message_id
            self.action_id = action_id

    def __init__(self, message: Message, context: RenderContext) -> None:
        super().__init__(message, context)
        self._picked: str | None = None

    @property
    def choices(self) -> list[Mapping[str, Any]]:
        raw = self.message.metadata.get("choices")
        if not isinstance(raw, list):
            return []
        return [c for c in raw[:3] if isinstance(c, Mapping) and c.get("action_id")]

    @property
    def chosen(self) -> str | None:
        """The action picked (the reply service records it; set locally while that runs)."""
        chosen = self.message.metadata.get("chosen") or self._picked
        return str(chosen) if chosen else None

    @property
    def open(self) -> bool:
        return self.message.status is MessageStatus.CLARIFICATION and self.chosen is None

    def title(self) -> str:
        return "which did you mean?" if self.chosen is None else f"chose {self.chosen}"

    def update_message(self, message: Message) -> None:
        self._picked = None  # the persisted message now says whether a choice was recorded
        super().update_message(message)
        self.refresh_bindings()

    def compose_body(self) -> ComposeResult:
        prompt = self.message.metadata.get("prompt") or self.message.content
        yield Static(Content(sanitize_terminal_text(str(prompt))), classes="message-body")
        with Horizontal(classes="choices"):
            for index, choice in enumerate(self.choices):
                label = choice.get("label") or choice["action_id"]
                confidence = choice.get("confidence")
                suffix = f" {confidence:.2f}" if isinstance(confidence, int | float) else ""
                yield Button(
                    Content(f"{index + 1} {label}{suffix}"),
                    id=f"choice-{index}",
                    compact=True,
                )

    def refresh_frame(self) -> None:
        super().refresh_frame()
        for button in self.query(Button):
            button.disabled = not self.open

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            index = parameters[0] if parameters else 0
            return self.open and isinstance(index, int) and index < len(self.choices)
        return True

    def action_choose(self, index: int) -> None:
        choices = self.choices
        if not self.open or index >= len(choices):
            return
        self._picked = str(choices[index]["action_id"])
        self.refresh_frame()
        self.refresh_bindings()
        self.post_message(self.Chosen(self.message.id, self._picked))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("choice-"):
            self.action_choose(int(event.button.id.removeprefix("choice-")))


class NoticeView(MessageView):
    """A system notice shown as plain text."""

    ROLE_LABEL = "notice"

    def compose_body(self) -> ComposeResult:
        yield Static(_text(self.message), classes="message-body")


_PROJECT_SCOPES = {"project", "conversation"}


class DenialNotice(NoticeView):
    """The policy refused the action; the text names what is missing and how to get it."""

    ROLE_LABEL = "denied"

    @property
    def project_would_allow(self) -> bool:
        """Whether a project conversation is the way out: the missing scopes are project or
        conversation ones, or the matrix denies the action outright on the personal surface
        (sharing, publishing), which a project surface allows. An org scope is not."""
        missing = self.message.metadata.get("missing_scopes") or []
        return not missing or bool(_PROJECT_SCOPES & set(missing))


class ErrorNotice(MessageView):
    """The reply failed; Retry (button or 'r') re-sends the same user message."""

    ROLE_LABEL = "error"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "retry", "Retry", id="error.retry")]

    class RetryRequested(TextualMessage):
        def __init__(self, message_id: str) -> None:
            super().__init__()
            self.message_id = message_id

    @property
    def retryable(self) -> bool:
        return bool(self.message.metadata.get("retryable"))

    def compose_body(self) -> ComposeResult:
        yield Static(_text(self.message), classes="message-body")
        with Horizontal(classes="choices"):
            yield Button("Retry (r)", id="retry", variant="primary", compact=True)

    def refresh_frame(self) -> None:
        super().refresh_frame()
        self.query_one(".choices").display = self.retryable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.retryable if action == "retry" else True

    def action_retry(self) -> None:
        if self.retryable:
            self.post_message(self.RetryRequested(self.message.id))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_retry()


_NOTICE_VIEWS: dict[str, type[MessageView]] = {
    "approval": ApprovalCard,
    "clarification": ClarificationCard,
    "denial": DenialNotice,
    "error": ErrorNotice,
}


def next_step_hint(view: MessageView | None, *, personal: bool, project_chat_key: str) -> str:
    """What the composer says about the newest notice: how to act on a card that waits for the
    user, or how to get the scope a denial in personal chat said was missing; "" otherwise."""
    if isinstance(view, ApprovalCard) and view.pending:
        return "Needs your approval: ctrl+↑ then a (approve) or d (deny), or click a button."
    if isinstance(view, ClarificationCard) and view.open:
        return "Which did you mean? ctrl+↑ then 1-3, or click a choice."
    if isinstance(view, ErrorNotice) and view.retryable:
        return "The reply failed: ctrl+↑ then r to retry, or click Retry."
    if isinstance(view, DenialNotice) and personal and view.project_would_allow:
        return (
            f"This needs a project: press {project_chat_key} to start a project chat, "
            "then send the message there."
        )
    return ""


def make_view(message: Message, context: RenderContext) -> MessageView:
    """The view class for a persisted message (notices by their metadata kind)."""
    if message.role is MessageRole.USER:
        return UserMessageView(message, context)
    if message.role is MessageRole.ASSISTANT:
        return AssistantMessageView(message, context)
    view_class = _NOTICE_VIEWS.get(str(message.metadata.get("kind")), NoticeView)
    return view_class(message, context)
