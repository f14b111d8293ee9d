"""The policy decision: what the reply service does with a route, given the user's scopes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from amprealize_tui.core.routing.contract import (
    PermissionEffect,
    PermissionScope,
    RouteCandidate,
    RouteContext,
    RouteResult,
)


class Outcome(StrEnum):
    ALLOW = "allow"
    CLARIFY = "clarify"
    REQUIRE_APPROVAL = "require_approval"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    outcome: Outcome
    candidate: RouteCandidate | None
    reason: str
    missing_scopes: tuple[PermissionScope, ...] = ()


def held_scopes(context: RouteContext, org_id: str | None) -> frozenset[PermissionScope]:
    """Scopes the local user holds: user always; project and conversation inside a project
    (they own the conversations they create); org when one is configured; agent never."""
    held = {PermissionScope.USER}
    if context.project_id:
        held |= {PermissionScope.PROJECT, PermissionScope.CONVERSATION}
    if org_id:
        held.add(PermissionScope.ORG)
    return frozenset(held)


def _how_to_get(missing: tuple[PermissionScope, ...]) -> str:
    if PermissionScope.PROJECT in missing or PermissionScope.CONVERSATION in missing:
        return (
            "open the conversation in a project (for example: --project-id NAME,"
            " or a new project chat)"
        )
    if PermissionScope.ORG in missing:
        return "configure an org_id in config.toml"
    return "this action is not available to a local user"


def decide(route: RouteResult, held: frozenset[PermissionScope]) -> PolicyDecision:
    candidate = route.primary
    if route.requires_clarification or candidate is None:
        return PolicyDecision(
            Outcome.CLARIFY, candidate, route.clarification_prompt or "Which action did you mean?"
        )
    if candidate.permission_effect is PermissionEffect.DENY:
        return PolicyDecision(
            Outcome.DENY,
            candidate,
            f"{candidate.action_id} is denied on {candidate.permission_surface.value} by the "
            f"permission matrix ({candidate.permission_action.value}); "
            "open the conversation in a project to do this.",
        )
    if not held & set(candidate.required_scopes):
        missing = candidate.required_scopes
        names = ", ".join(s.value for s in missing)
        return PolicyDecision(
            Outcome.DENY,
            candidate,
            f"{candidate.action_id} on {candidate.permission_surface.value} needs one of the "
            f"scopes [{names}] and you hold none of them here; {_how_to_get(missing)}.",
            missing,
        )
    if candidate.requires_approval:
        return PolicyDecision(
            Outcome.REQUIRE_APPROVAL,
            candidate,
            f"{candidate.action_id} is {candidate.risk.value} risk and needs your approval.",
        )
    return PolicyDecision(Outcome.ALLOW, candidate, "allowed")
