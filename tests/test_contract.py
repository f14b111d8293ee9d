"""The route contract: enum values, every matrix row, deny by default, catalog, surface rules."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from amprealize_tui.core.routing.catalog import (
    ACTION_CATALOG,
    PRESETS,
    build_candidate,
    resolve_surface,
)
from amprealize_tui.core.routing.contract import (
    ActionCategory,
    ConversationScope,
    PermissionAction,
    PermissionEffect,
    PermissionScope,
    PermissionSurface,
    ResourceLink,
    Risk,
    RouteCandidate,
    RouteContext,
    RouteMode,
)
from amprealize_tui.core.routing.matrix import PERMISSION_MATRIX, get_chat_permission_requirement

S = PermissionScope
SURFACE_SCOPES = {
    "global_chat": (S.USER,),
    "project_space": (S.PROJECT,),
    "group_chat": (S.CONVERSATION, S.PROJECT, S.AGENT),
    "work_item_thread": (S.CONVERSATION, S.PROJECT),
    "run_thread": (S.CONVERSATION, S.PROJECT),
    "agent_lifecycle": (S.ORG, S.PROJECT, S.AGENT),
    "mcp_tool": (S.USER, S.ORG, S.PROJECT),
    "attachment": (S.USER, S.CONVERSATION, S.PROJECT),
    "platform_action": (S.USER, S.ORG, S.PROJECT),
}
ALL_PAIRS = [(surface, action) for surface in SURFACE_SCOPES for action in PermissionAction]


def test_enum_values_are_the_contract_strings() -> None:
    assert [s.value for s in ConversationScope] == [
        "global_user_home",
        "project_space",
        "project_room",
        "dm",
        "agent_dm",
        "group_chat",
        "work_item_thread",
        "run_thread",
    ]
    assert [a.value for a in PermissionAction] == [
        "read",
        "create",
        "update",
        "delete",
        "invite_share",
        "execute",
        "publish",
        "administer",
    ]
    assert {s.value for s in PermissionSurface} == set(SURFACE_SCOPES)
    assert [e.value for e in PermissionEffect] == ["allow", "require_approval", "deny"]
    assert [m.value for m in RouteMode] == ["deterministic", "llm", "hybrid"]
    assert Risk.max(Risk.LOW, Risk.HIGH) is Risk.HIGH
    assert Risk.max(Risk.MEDIUM, Risk.LOW) is Risk.MEDIUM


def test_matrix_has_all_72_rows() -> None:
    assert len(ALL_PAIRS) == 72
    assert set(PERMISSION_MATRIX) == {(PermissionSurface(s), a) for s, a in ALL_PAIRS}


@pytest.mark.parametrize(("surface", "action"), ALL_PAIRS)
def test_matrix_row(surface: str, action: PermissionAction) -> None:
    row = get_chat_permission_requirement(surface, action)
    assert row.surface is PermissionSurface(surface)
    assert row.action is action
    if surface == "global_chat" and action in (
        PermissionAction.INVITE_SHARE,
        PermissionAction.PUBLISH,
    ):
        assert row.effect is PermissionEffect.DENY
        assert row.scopes == ()
    elif action is PermissionAction.EXECUTE:
        assert row.effect is PermissionEffect.REQUIRE_APPROVAL
        assert row.scopes == SURFACE_SCOPES[surface]
    else:
        assert row.effect is PermissionEffect.ALLOW
        assert row.scopes == SURFACE_SCOPES[surface]
    assert row.notes


def test_missing_pair_is_denied_by_default() -> None:
    key = (PermissionSurface.MCP_TOOL, PermissionAction.READ)
    partial = {k: v for k, v in PERMISSION_MATRIX.items() if k != key}
    assert get_chat_permission_requirement(*key).effect is PermissionEffect.ALLOW
    row = get_chat_permission_requirement(*key, matrix=partial)
    assert row.effect is PermissionEffect.DENY
    assert row.scopes == ()
    assert "denied by default" in row.notes
    assert get_chat_permission_requirement(*key, matrix={}).effect is PermissionEffect.DENY


def test_unknown_enum_strings_are_a_caller_error() -> None:
    with pytest.raises(ValueError):
        get_chat_permission_requirement("global_chat", "launch")
    with pytest.raises(ValueError):
        get_chat_permission_requirement("moon", "read")


CATALOG_ROWS = [
    ("chat.read_synthesis", "read_synthesis", "read", "global_chat", "low", None, ()),
    (
        "work_item.manage",
        "work_management",
        "create",
        "platform_action",
        "medium",
        "work_item",
        ("/work-item", "/workitem"),
    ),
    ("execution.plan", "execution_planning", "execute", "work_item_thread", "medium", "plan",
     ("/plan",)),
    ("execution.start", "execution_start", "execute", "work_item_thread", "high", "run",
     ("/execute", "/run")),
    ("agent.manage", "agent_management", "update", "agent_lifecycle", "high", "agent",
     ("/agent",)),
    ("mcp_tool.invoke", "mcp_tool", "execute", "mcp_tool", "high", "mcp_tool", ("/tool",)),
    ("attachment.add", "attachment", "create", "attachment", "medium", "file", ("/attach",)),
    ("project.invite_share", "invite_share", "invite_share", "project_space", "high", "project",
     ("/invite",)),
]  # fmt: skip


def test_catalog_has_exactly_these_actions() -> None:
    assert list(ACTION_CATALOG) == [row[0] for row in CATALOG_ROWS]


@pytest.mark.parametrize("row", CATALOG_ROWS, ids=[r[0] for r in CATALOG_ROWS])
def test_catalog_entry(row: tuple) -> None:
    action_id, category, permission_action, surface, risk, target, presets = row
    action = ACTION_CATALOG[action_id]
    assert action.category is ActionCategory(category)
    assert action.permission_action is PermissionAction(permission_action)
    assert action.default_surface is PermissionSurface(surface)
    assert action.risk is Risk(risk)
    assert action.target_resource_type == target
    assert action.presets == presets
    for preset in presets:
        assert PRESETS[preset] == action_id


def _ctx(scope: str = "global_user_home", project: str | None = None, *links: str) -> RouteContext:
    return RouteContext(
        scope=ConversationScope(scope),
        project_id=project,
        resource_links=tuple(ResourceLink(resource_type=t, resource_id="1") for t in links),
    )


SURFACE_CASES = [
    # scope-following categories follow the conversation scope
    ("chat.read_synthesis", _ctx("group_chat", "p"), "group_chat"),
    ("chat.read_synthesis", _ctx("project_space", "p"), "project_space"),
    ("chat.read_synthesis", _ctx("project_room", "p"), "project_space"),
    ("chat.read_synthesis", _ctx("run_thread", "p"), "run_thread"),
    ("chat.read_synthesis", _ctx("work_item_thread", "p"), "work_item_thread"),
    ("chat.read_synthesis", _ctx(), "global_chat"),
    ("execution.start", _ctx("group_chat", "p"), "group_chat"),
    ("execution.plan", _ctx("project_room", "p"), "project_space"),
    ("project.invite_share", _ctx("project_space", "p"), "project_space"),
    ("project.invite_share", _ctx("run_thread", "p"), "run_thread"),
    # personal chat: planning/start by link, then project, else default
    ("execution.start", _ctx("global_user_home", None, "run"), "run_thread"),
    ("execution.plan", _ctx("global_user_home", None, "work_item"), "work_item_thread"),
    ("execution.start", _ctx("global_user_home", None, "plan"), "work_item_thread"),
    ("execution.start", _ctx("global_user_home", None, "run", "work_item"), "run_thread"),
    ("execution.plan", _ctx(), "work_item_thread"),
    ("project.invite_share", _ctx(), "global_chat"),
    # dm (and agent_dm, normalised to dm) have no scope surface: default
    ("execution.start", _ctx("dm", "p"), "work_item_thread"),
    ("chat.read_synthesis", _ctx("agent_dm", "p"), "global_chat"),
    # other categories keep their default surface everywhere
    ("work_item.manage", _ctx("group_chat", "p"), "platform_action"),
    ("agent.manage", _ctx("run_thread", "p"), "agent_lifecycle"),
    ("mcp_tool.invoke", _ctx("project_space", "p"), "mcp_tool"),
    ("attachment.add", _ctx("work_item_thread", "p"), "attachment"),
]


@pytest.mark.parametrize(("action_id", "context", "surface"), SURFACE_CASES)
def test_surface_resolution(action_id: str, context: RouteContext, surface: str) -> None:
    assert resolve_surface(ACTION_CATALOG[action_id], context) is PermissionSurface(surface)


def test_sharing_from_personal_chat_is_denied_by_the_matrix() -> None:
    candidate = build_candidate(ACTION_CATALOG["project.invite_share"], _ctx(), 0.9)
    assert candidate.permission_effect is PermissionEffect.DENY
    assert candidate.required_scopes == ()
    assert candidate.requires_approval  # high risk


def test_agent_dm_is_normalised_to_dm() -> None:
    assert _ctx("agent_dm", "p").scope is ConversationScope.DM


@pytest.mark.parametrize(
    ("scope", "project"), [("global_user_home", "p"), ("project_space", None), ("dm", "")]
)
def test_context_project_id_rules(scope: str, project: str | None) -> None:
    with pytest.raises(ValidationError):
        RouteContext(scope=ConversationScope(scope), project_id=project)


def test_build_candidate_recomputes_contract_fields() -> None:
    start = ACTION_CATALOG["execution.start"]
    candidate = build_candidate(start, _ctx("run_thread", "p"), 0.5, risk=Risk.LOW)
    assert candidate.risk is Risk.HIGH  # never below the catalog's
    assert candidate.permission_effect is PermissionEffect.REQUIRE_APPROVAL
    assert candidate.required_scopes == (S.CONVERSATION, S.PROJECT)
    assert candidate.requires_approval
    assert candidate.requires_clarification  # 0.5 < 0.55
    read = build_candidate(ACTION_CATALOG["chat.read_synthesis"], _ctx(), 0.9, risk=Risk.HIGH)
    assert read.risk is Risk.HIGH and read.requires_approval  # a raised risk needs approval


@pytest.mark.parametrize("confidence", [math.nan, math.inf, -0.01, 1.01])
def test_candidate_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValidationError):
        RouteCandidate(
            action_id="chat.read_synthesis",
            category=ActionCategory.READ_SYNTHESIS,
            permission_surface=PermissionSurface.GLOBAL_CHAT,
            permission_action=PermissionAction.READ,
            permission_effect=PermissionEffect.ALLOW,
            confidence=confidence,
            risk=Risk.LOW,
            required_scopes=(S.USER,),
            requires_approval=False,
        )
