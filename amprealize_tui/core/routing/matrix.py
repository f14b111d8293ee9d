"""The permission matrix: one row per (surface, action); a missing pair is deny."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from amprealize_tui.core.routing.contract import (
    PermissionAction,
    PermissionEffect,
    PermissionScope,
    PermissionSurface,
)

S = PermissionScope
_SURFACE_SCOPES: dict[PermissionSurface, tuple[PermissionScope, ...]] = {
    PermissionSurface.GLOBAL_CHAT: (S.USER,),
    PermissionSurface.PROJECT_SPACE: (S.PROJECT,),
    PermissionSurface.GROUP_CHAT: (S.CONVERSATION, S.PROJECT, S.AGENT),
    PermissionSurface.WORK_ITEM_THREAD: (S.CONVERSATION, S.PROJECT),
    PermissionSurface.RUN_THREAD: (S.CONVERSATION, S.PROJECT),
    PermissionSurface.AGENT_LIFECYCLE: (S.ORG, S.PROJECT, S.AGENT),
    PermissionSurface.MCP_TOOL: (S.USER, S.ORG, S.PROJECT),
    PermissionSurface.ATTACHMENT: (S.USER, S.CONVERSATION, S.PROJECT),
    PermissionSurface.PLATFORM_ACTION: (S.USER, S.ORG, S.PROJECT),
}

_DENIED_IN_GLOBAL_CHAT = frozenset({PermissionAction.INVITE_SHARE, PermissionAction.PUBLISH})


@dataclass(frozen=True, slots=True)
class PermissionRequirement:
    surface: PermissionSurface
    action: PermissionAction
    scopes: tuple[PermissionScope, ...]
    effect: PermissionEffect
    notes: str


def _row(surface: PermissionSurface, action: PermissionAction) -> PermissionRequirement:
    if surface is PermissionSurface.GLOBAL_CHAT and action in _DENIED_IN_GLOBAL_CHAT:
        return PermissionRequirement(
            surface,
            action,
            (),
            PermissionEffect.DENY,
            f"{action.value} is not possible from personal chat;"
            " open the conversation in a project",
        )
    if action is PermissionAction.EXECUTE:
        return PermissionRequirement(
            surface,
            action,
            _SURFACE_SCOPES[surface],
            PermissionEffect.REQUIRE_APPROVAL,
            "execution always needs an explicit approval",
        )
    return PermissionRequirement(
        surface,
        action,
        _SURFACE_SCOPES[surface],
        PermissionEffect.ALLOW,
        "allowed for scope holders",
    )


MatrixKey = tuple[PermissionSurface, PermissionAction]
PERMISSION_MATRIX: dict[tuple[PermissionSurface, PermissionAction], PermissionRequirement] = {
    (surface, action): _row(surface, action)
    for surface in PermissionSurface
    for action in PermissionAction
}


def get_chat_permission_requirement(
    surface: PermissionSurface | str,
    action: PermissionAction | str,
    matrix: Mapping[MatrixKey, PermissionRequirement] | None = None,
) -> PermissionRequirement:
    """The matrix row for (surface, action); a pair missing from the matrix is deny, no scopes.

    Unknown enum strings raise ValueError: they are a caller bug, not a permission question.
    """
    key = (PermissionSurface(surface), PermissionAction(action))
    row = (PERMISSION_MATRIX if matrix is None else matrix).get(key)
    if row is not None:
        return row
    return PermissionRequirement(
        key[0], key[1], (), PermissionEffect.DENY, "not in the permission matrix: denied by default"
    )
