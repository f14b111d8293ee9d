"""Conversation and message records as the store returns them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from amprealize_tui.core.routing.contract import ConversationScope


class MessageRole(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"  # governance notices: denial, clarification, approval, errors


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"
    INCOMPLETE = "incomplete"  # stream cut, cancelled or process killed: partial text kept
    ERROR = "error"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    DENIED = "denied"
    CLARIFICATION = "clarification"


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    title: str
    scope: ConversationScope
    project_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    conversation_id: str
    parent_id: str | None
    role: MessageRole
    content: str
    status: MessageStatus
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
