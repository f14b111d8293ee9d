"""Events the reply service yields; the TUI and the `ask` command render them."""

from __future__ import annotations

from dataclasses import dataclass

from amprealize_tui.core.conversations.models import Message
from amprealize_tui.core.conversations.policy import PolicyDecision
from amprealize_tui.core.routing.contract import RouteResult


@dataclass(frozen=True, slots=True)
class MessageAdded:
    """A message was persisted: the user's text, a notice (denial, clarification, approval card,
    error) or a new assistant reply (status streaming)."""

    message: Message


@dataclass(frozen=True, slots=True)
class MessageUpdated:
    """A persisted message changed: an approval was decided, a stream finished or was cut."""

    message: Message


@dataclass(frozen=True, slots=True)
class RouteDecided:
    user_message_id: str
    route: RouteResult
    decision: PolicyDecision


@dataclass(frozen=True, slots=True)
class ReplyDelta:
    """Streamed text for an assistant message being written."""

    message_id: str
    text: str


@dataclass(frozen=True, slots=True)
class InputRejected:
    """Metadata validation failed: nothing was persisted; the UI keeps the user's text."""

    error: str


ReplyEvent = MessageAdded | MessageUpdated | RouteDecided | ReplyDelta | InputRejected
