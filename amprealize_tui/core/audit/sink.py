"""The audit interface other services write through; the log module implements it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol


class AuditEventType(StrEnum):
    INTENT_CLASSIFICATION = "intent_classification"
    SCOPE_RESOLUTION = "scope_resolution"
    POLICY_DECISION = "policy_decision"
    APPROVAL = "approval"
    DENIAL = "denial"
    EXECUTION_START = "execution_start"
    CREDENTIAL_CHANGE = "credential_change"


class AuditSink(Protocol):
    def record(
        self,
        event_type: AuditEventType,
        *,
        user_id: str,
        chat_scope: str | None = None,
        action: str | None = None,
        decision: str | None = None,
        target_resources: list[str] | None = None,
        conversation_id: str | None = None,
        message_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None: ...


class NullAuditSink:
    """Discards records; for code paths and tests that have no log."""

    def record(self, event_type: AuditEventType, **_: Any) -> None:
        return None
