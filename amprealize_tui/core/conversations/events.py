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
class ReplyRestarted:
    """The text streamed for this reply so far was the model's reasoning (its opening <think>
    tag was missing): clear it; the answer follows as new deltas."""

    message_id: str


@dataclass(frozen=True, slots=True)
class ModelWorking:
    """No answer text yet: the request went out (`thinking` False: queued or loading, which on
    the free tier can take minutes), or the model started reasoning (`thinking` True)."""

    model_id: str
    thinking: bool = False


@dataclass(frozen=True, slots=True)
class InputRejected:
    """Metadata validation failed: nothing was persisted; the UI keeps the user's text."""

    error: str


ReplyEvent = (
    MessageAdded
    | MessageUpdated
    | RouteDecided
    | ReplyDelta
    | ReplyRestarted
    | ModelWorking
    | InputRejected
)
