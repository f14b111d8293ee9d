"""The badge row under each reply and notice: how a message was routed, governed and paid for.

Everything is read from the message's persisted metadata (DESIGN.md section 3 keys), so a
reloaded conversation shows the same badges as the live one. Pure functions build the badges;
`BadgeRow` only renders them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from amprealize_tui.core.conversations.labels import credential_label, route_source
from amprealize_tui.core.conversations.models import Message, MessageStatus

LatencyFormatter = Callable[[float], str]
ModelNamer = Callable[[str], str]

BADGE_STYLES: dict[str, str] = {
    "action": "bold $text-primary on $primary-muted",
    "risk-low": "bold $text-success on $success-muted",
    "risk-medium": "bold $text-warning on $warning-muted",
    "risk-high": "bold $text-error on $error-muted",
    "approval-needed": "bold $text-warning on $warning-muted",
    "approval-given": "$text-success on $success-muted",
    "approval-refused": "$text-error on $error-muted",
    "denied": "bold $text-error on $error-muted",
    "clarify": "bold $text-accent on $accent-muted",
    "source": "$text-secondary on $secondary-muted",
    "fallback": "bold $text-warning on $warning-muted",
    "model": "$foreground on $boost",
    "credential": "$text-muted on $boost",
    "latency": "$text-muted on $boost",
}


@dataclass(frozen=True, slots=True)
class Badge:
    text: str
    kind: str  # a key of BADGE_STYLES


def format_latency(latency_ms: float) -> str:
    if latency_ms < 1:
        return "<1 ms"
    if latency_ms < 1000:
        return f"{latency_ms:.0f} ms"
    return f"{latency_ms / 1000:.1f} s"


def route_of(metadata: Mapping[str, Any]) -> Mapping[str, Any]:
    route = metadata.get("chat_route")
    return route if isinstance(route, Mapping) else {}


def primary_candidate(route: Mapping[str, Any]) -> Mapping[str, Any]:
    candidates = route.get("candidates")
    if isinstance(candidates, list | tuple) and candidates and isinstance(candidates[0], Mapping):
        return candidates[0]
    return {}


def _approval_badge(message: Message, route: Mapping[str, Any]) -> Badge | None:
    kind = message.metadata.get("kind")
    if kind == "approval":
        if message.status is MessageStatus.APPROVED:
            return Badge("approved", "approval-given")
        if message.status is MessageStatus.DENIED:
            return Badge("refused", "approval-refused")
        return Badge("approval needed", "approval-needed")
    approval = message.metadata.get("approval")
    if isinstance(approval, Mapping) and approval.get("decision"):
        given = approval.get("decision") == "approved"
        who = approval.get("decided_by") or "you"
        text = f"approved by {who}" if given else f"refused by {who}"
        return Badge(text, "approval-given" if given else "approval-refused")
    needs = message.metadata.get("chat_route_requires_approval")
    if needs is None:
        needs = primary_candidate(route).get("requires_approval")
    return Badge("approval needed", "approval-needed") if needs else None


def route_badges(
    message: Message,
    *,
    model_name: ModelNamer,
    latency: LatencyFormatter = format_latency,
) -> list[Badge]:
    """The badges for one message, in display order; empty when it carries no route or model."""
    metadata = message.metadata
    route = route_of(metadata)
    policy = metadata.get("chat_route_policy_context")
    policy = policy if isinstance(policy, Mapping) else {}
    primary = primary_candidate(route)
    badges: list[Badge] = []

    kind = metadata.get("kind")
    if kind == "denial":
        badges.append(Badge("denied", "denied"))
    elif kind == "clarification" or metadata.get("chat_route_requires_clarification"):
        badges.append(Badge("needs clarification", "clarify"))
    action = policy.get("chat_action") or primary.get("action_id")
    if action and kind != "clarification":
        badges.append(Badge(str(action), "action"))
    risk = policy.get("action_risk") or primary.get("risk")
    if risk in ("low", "medium", "high") and kind != "clarification":
        badges.append(Badge(f"{risk} risk", f"risk-{risk}"))
    if route and kind not in ("denial", "clarification"):
        approval = _approval_badge(message, route)
        if approval is not None:
            badges.append(approval)
    source = route_source(route)
    if source:
        badges.append(Badge(source, "source"))
    if route.get("fallback_reason"):
        badges.append(Badge(f"fallback: {route['fallback_reason']}", "fallback"))
    model_id = metadata.get("llm_model_id")
    if isinstance(model_id, str) and model_id:
        badges.append(Badge(model_name(model_id), "model"))
    credential = credential_label(metadata)
    if credential:
        badges.append(Badge(credential, "credential"))
    latency_ms = route.get("latency_ms")
    if isinstance(latency_ms, int | float) and route:
        badges.append(Badge(latency(float(latency_ms)), "latency"))
    return badges


def _cells(badge: Badge) -> int:
    return cell_len(badge.text) + 2  # one cell of padding each side


def pack_badges(badges: list[Badge], width: int) -> list[list[Badge]]:
    """Badges in lines no wider than `width` (a lone badge wider than that gets its own line).
    Textual would otherwise wrap inside a badge, splitting "3 ms" over two lines."""
    lines: list[list[Badge]] = []
    used = 0
    for badge in badges:
        cells = _cells(badge)
        if lines and used + 1 + cells <= width:
            lines[-1].append(badge)
            used += 1 + cells
        else:
            lines.append([badge])
            used = cells
    return lines


def badges_content(badges: list[Badge], width: int) -> Content:
    parts: list[str | tuple[str, str]] = []
    for line in pack_badges(badges, max(width, 1)):
        if parts:
            parts.append("\n")
        for index, badge in enumerate(line):
            if index:
                parts.append(" ")
            parts.append((f" {badge.text} ", BADGE_STYLES[badge.kind]))
    return Content.assemble(*parts)


class BadgeRow(Widget):
    """The badges of one message, packed into as many lines as the width needs."""

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._badges: list[Badge] = []

    def show_badges(self, badges: list[Badge]) -> None:
        self._badges = badges
        self.display = bool(badges)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(pack_badges(self._badges, max(width, 1)))

    def render(self) -> Content:
        return badges_content(self._badges, self.content_size.width)
