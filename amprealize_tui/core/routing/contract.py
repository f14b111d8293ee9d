"""The route contract: enums and the frozen candidate/result models (DESIGN.md section 2)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ConversationScope(StrEnum):
    GLOBAL_USER_HOME = "global_user_home"
    PROJECT_SPACE = "project_space"
    PROJECT_ROOM = "project_room"
    DM = "dm"
    AGENT_DM = "agent_dm"
    GROUP_CHAT = "group_chat"
    WORK_ITEM_THREAD = "work_item_thread"
    RUN_THREAD = "run_thread"


class PermissionAction(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    INVITE_SHARE = "invite_share"
    EXECUTE = "execute"
    PUBLISH = "publish"
    ADMINISTER = "administer"


class PermissionScope(StrEnum):
    USER = "user"
    ORG = "org"
    PROJECT = "project"
    CONVERSATION = "conversation"
    AGENT = "agent"


class PermissionSurface(StrEnum):
    GLOBAL_CHAT = "global_chat"
    PROJECT_SPACE = "project_space"
    GROUP_CHAT = "group_chat"
    WORK_ITEM_THREAD = "work_item_thread"
    RUN_THREAD = "run_thread"
    AGENT_LIFECYCLE = "agent_lifecycle"
    MCP_TOOL = "mcp_tool"
    ATTACHMENT = "attachment"
    PLATFORM_ACTION = "platform_action"


class PermissionEffect(StrEnum):
    ALLOW = "allow"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


class ActionCategory(StrEnum):
    READ_SYNTHESIS = "read_synthesis"
    WORK_MANAGEMENT = "work_management"
    AGENT_MANAGEMENT = "agent_management"
    EXECUTION_PLANNING = "execution_planning"
    EXECUTION_START = "execution_start"
    MCP_TOOL = "mcp_tool"
    ATTACHMENT = "attachment"
    INVITE_SHARE = "invite_share"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]

    @classmethod
    def max(cls, a: Risk, b: Risk) -> Risk:
        return a if a.rank >= b.rank else b


_RISK_RANK = {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}


class RouteMode(StrEnum):
    DETERMINISTIC = "deterministic"
    LLM = "llm"
    HYBRID = "hybrid"


class FallbackReason(StrEnum):
    LLM_INVALID_JSON = "llm_invalid_json"
    LLM_UNKNOWN_ACTION = "llm_unknown_action"
    LLM_INVALID_ENUM = "llm_invalid_enum"
    LLM_INCONSISTENT_CANDIDATE = "llm_inconsistent_candidate"
    EMPTY_LLM_CANDIDATES = "empty_llm_candidates"
    LLM_TIMEOUT = "llm_timeout"
    LLM_RATE_LIMITED = "llm_rate_limited"
    LLM_AUTH_FAILED = "llm_auth_failed"
    LLM_HTTP_ERROR = "llm_http_error"
    LLM_UNAVAILABLE = "llm_unavailable"
    LLM_OUTPUT_TOO_LARGE = "llm_output_too_large"


def normalize_scope(scope: ConversationScope) -> ConversationScope:
    """agent_dm is routed as dm."""
    return ConversationScope.DM if scope is ConversationScope.AGENT_DM else scope


class ResourceLink(BaseModel):
    """A resource the conversation is linked to (a run, a work item, a plan, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    resource_type: str = Field(min_length=1, max_length=64)
    resource_id: str = Field(min_length=1, max_length=256)


class RouteContext(BaseModel):
    """Where a message was sent from; the router and the matrix resolve surfaces from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: ConversationScope = ConversationScope.GLOBAL_USER_HOME
    project_id: str | None = None
    org_id: str | None = None
    resource_links: tuple[ResourceLink, ...] = ()

    @field_validator("scope")
    @classmethod
    def _normalize(cls, value: ConversationScope) -> ConversationScope:
        return normalize_scope(value)

    def model_post_init(self, __context: Any) -> None:
        if self.scope is ConversationScope.GLOBAL_USER_HOME and self.project_id:
            raise ValueError("scope global_user_home must not have a project_id")
        if self.scope is not ConversationScope.GLOBAL_USER_HOME and not self.project_id:
            raise ValueError(f"scope {self.scope.value} needs a project_id")

    def has_link(self, *resource_types: str) -> bool:
        return any(link.resource_type in resource_types for link in self.resource_links)


class RouteCandidate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action_id: str
    category: ActionCategory
    permission_surface: PermissionSurface
    permission_action: PermissionAction
    permission_effect: PermissionEffect
    confidence: float = Field(ge=0.0, le=1.0)
    risk: Risk
    required_scopes: tuple[PermissionScope, ...]
    requires_approval: bool
    requires_clarification: bool = False
    preset: str | None = None
    target_resource_type: str | None = None
    rationale: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("confidence")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("confidence must be finite")
        return value


class RouteResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    candidates: tuple[RouteCandidate, ...] = Field(max_length=3)
    requires_clarification: bool
    clarification_prompt: str | None = None
    requested_mode: RouteMode
    route_mode: RouteMode
    fallback_reason: FallbackReason | None = None
    latency_ms: float = 0.0

    @property
    def primary(self) -> RouteCandidate | None:
        return self.candidates[0] if self.candidates else None
