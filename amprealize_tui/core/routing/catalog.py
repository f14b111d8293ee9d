"""The action catalog (the only action IDs that exist), surface resolution, candidate building."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amprealize_tui.core.routing.contract import (
    ActionCategory,
    ConversationScope,
    PermissionAction,
    PermissionEffect,
    PermissionSurface,
    Risk,
    RouteCandidate,
    RouteContext,
)
from amprealize_tui.core.routing.matrix import get_chat_permission_requirement


@dataclass(frozen=True, slots=True)
class CatalogAction:
    action_id: str
    category: ActionCategory
    permission_action: PermissionAction
    default_surface: PermissionSurface
    risk: Risk
    target_resource_type: str | None
    presets: tuple[str, ...]
    label: str


ACTION_CATALOG: dict[str, CatalogAction] = {
    a.action_id: a
    for a in (
        CatalogAction(
            "chat.read_synthesis",
            ActionCategory.READ_SYNTHESIS,
            PermissionAction.READ,
            PermissionSurface.GLOBAL_CHAT,
            Risk.LOW,
            None,
            (),
            "answer or summarize",
        ),
        CatalogAction(
            "work_item.manage",
            ActionCategory.WORK_MANAGEMENT,
            PermissionAction.CREATE,
            PermissionSurface.PLATFORM_ACTION,
            Risk.MEDIUM,
            "work_item",
            ("/work-item", "/workitem"),
            "manage a work item",
        ),
        CatalogAction(
            "execution.plan",
            ActionCategory.EXECUTION_PLANNING,
            PermissionAction.EXECUTE,
            PermissionSurface.WORK_ITEM_THREAD,
            Risk.MEDIUM,
            "plan",
            ("/plan",),
            "draft an execution plan",
        ),
        CatalogAction(
            "execution.start",
            ActionCategory.EXECUTION_START,
            PermissionAction.EXECUTE,
            PermissionSurface.WORK_ITEM_THREAD,
            Risk.HIGH,
            "run",
            ("/execute", "/run"),
            "start an execution run",
        ),
        CatalogAction(
            "agent.manage",
            ActionCategory.AGENT_MANAGEMENT,
            PermissionAction.UPDATE,
            PermissionSurface.AGENT_LIFECYCLE,
            Risk.HIGH,
            "agent",
            ("/agent",),
            "manage an agent",
        ),
        CatalogAction(
            "mcp_tool.invoke",
            ActionCategory.MCP_TOOL,
            PermissionAction.EXECUTE,
            PermissionSurface.MCP_TOOL,
            Risk.HIGH,
            "mcp_tool",
            ("/tool",),
            "invoke an MCP tool",
        ),
        CatalogAction(
            "attachment.add",
            ActionCategory.ATTACHMENT,
            PermissionAction.CREATE,
            PermissionSurface.ATTACHMENT,
            Risk.MEDIUM,
            "file",
            ("/attach",),
            "add an attachment",
        ),
        CatalogAction(
            "project.invite_share",
            ActionCategory.INVITE_SHARE,
            PermissionAction.INVITE_SHARE,
            PermissionSurface.PROJECT_SPACE,
            Risk.HIGH,
            "project",
            ("/invite",),
            "invite or share",
        ),
    )
}

PRESETS: dict[str, str] = {
    preset: action.action_id for action in ACTION_CATALOG.values() for preset in action.presets
}

_SCOPE_FOLLOWING = frozenset(
    {
        ActionCategory.READ_SYNTHESIS,
        ActionCategory.EXECUTION_PLANNING,
        ActionCategory.EXECUTION_START,
        ActionCategory.INVITE_SHARE,
    }
)
_SCOPE_SURFACE = {
    ConversationScope.GROUP_CHAT: PermissionSurface.GROUP_CHAT,
    ConversationScope.PROJECT_SPACE: PermissionSurface.PROJECT_SPACE,
    ConversationScope.PROJECT_ROOM: PermissionSurface.PROJECT_SPACE,
    ConversationScope.RUN_THREAD: PermissionSurface.RUN_THREAD,
    ConversationScope.WORK_ITEM_THREAD: PermissionSurface.WORK_ITEM_THREAD,
}
_EXECUTION = frozenset({ActionCategory.EXECUTION_PLANNING, ActionCategory.EXECUTION_START})


def resolve_surface(action: CatalogAction, context: RouteContext) -> PermissionSurface:
    """The permission surface an action is checked on, by conversation scope (DESIGN.md 2)."""
    if action.category not in _SCOPE_FOLLOWING:
        return action.default_surface
    surface = _SCOPE_SURFACE.get(context.scope)
    if surface is not None:
        return surface
    if context.scope is ConversationScope.GLOBAL_USER_HOME and action.category in _EXECUTION:
        if context.has_link("run"):
            return PermissionSurface.RUN_THREAD
        if context.has_link("work_item", "plan"):
            return PermissionSurface.WORK_ITEM_THREAD
        if context.project_id:
            return PermissionSurface.PROJECT_SPACE
    if context.scope is ConversationScope.GLOBAL_USER_HOME and action.category in (
        ActionCategory.READ_SYNTHESIS,
        ActionCategory.INVITE_SHARE,
    ):
        return PermissionSurface.GLOBAL_CHAT
    return action.default_surface


def build_candidate(
    action: CatalogAction,
    context: RouteContext,
    confidence: float,
    *,
    risk: Risk | None = None,
    preset: str | None = None,
    rationale: str = "",
    metadata: dict[str, Any] | None = None,
) -> RouteCandidate:
    """A contract-valid candidate: surface, scopes, effect and approval always recomputed here."""
    surface = resolve_surface(action, context)
    row = get_chat_permission_requirement(surface, action.permission_action)
    effective_risk = action.risk if risk is None else Risk.max(risk, action.risk)
    return RouteCandidate(
        action_id=action.action_id,
        category=action.category,
        permission_surface=surface,
        permission_action=action.permission_action,
        permission_effect=row.effect,
        confidence=confidence,
        risk=effective_risk,
        required_scopes=row.scopes,
        requires_approval=effective_risk is Risk.HIGH
        or row.effect is PermissionEffect.REQUIRE_APPROVAL,
        requires_clarification=confidence < CLARIFY_BELOW,
        preset=preset,
        target_resource_type=action.target_resource_type,
        rationale=rationale,
        metadata=metadata or {},
    )


CLARIFY_BELOW = 0.55
AMBIGUITY_GAP = 0.1
