"""Badge rows and the expanded route view are built from persisted message metadata."""

from __future__ import annotations

from typing import Any

from amprealize_tui.core.conversations.models import Message, MessageRole, MessageStatus
from amprealize_tui.core.routing.catalog import ACTION_CATALOG, build_candidate
from amprealize_tui.core.routing.contract import (
    FallbackReason,
    RouteContext,
    RouteMode,
    RouteResult,
)
from amprealize_tui.tui.widgets.badges import (
    Badge,
    badges_content,
    format_latency,
    pack_badges,
    route_badges,
)
from amprealize_tui.tui.widgets.route_details import route_details_content

PERSONAL = RouteContext()


def _route(*action_ids: str, **fields: Any) -> RouteResult:
    candidates = tuple(
        build_candidate(ACTION_CATALOG[a], PERSONAL, 0.9 - i * 0.3, rationale=f"because {a}")
        for i, a in enumerate(action_ids)
    )
    defaults: dict[str, Any] = {
        "requires_clarification": False,
        "requested_mode": RouteMode.DETERMINISTIC,
        "route_mode": RouteMode.DETERMINISTIC,
        "latency_ms": 2.4,
    }
    return RouteResult(candidates=candidates, **{**defaults, **fields})


def _message(
    route: RouteResult | None,
    *,
    role: MessageRole = MessageRole.ASSISTANT,
    status: MessageStatus = MessageStatus.COMPLETE,
    **metadata: Any,
) -> Message:
    if route is not None:
        primary = route.primary
        metadata = {
            "chat_route": route.model_dump(mode="json"),
            "chat_route_requires_approval": bool(primary and primary.requires_approval),
            "chat_route_policy_context": {
                "chat_action": primary.action_id if primary else None,
                "action_risk": primary.risk.value if primary else None,
            },
            **metadata,
        }
    return Message("m1", "c1", None, role, "text", status, metadata)


def _badges(message: Message) -> list[Badge]:
    return route_badges(message, model_name=lambda model_id: f"<{model_id}>")


def test_reply_badges_in_order_with_model_name_and_byok_scope() -> None:
    message = _message(
        _route("chat.read_synthesis"),
        llm_model_id="nvidia/deepseek-v4-flash",
        credential_scope="user",
        is_byok=True,
    )
    assert _badges(message) == [
        Badge("chat.read_synthesis", "action"),
        Badge("low risk", "risk-low"),
        Badge("deterministic", "source"),
        Badge("<nvidia/deepseek-v4-flash>", "model"),
        Badge("BYOK user", "credential"),
        Badge("2 ms", "latency"),
    ]


def test_risk_colour_kind_follows_the_risk() -> None:
    kinds = {
        action: next(b.kind for b in _badges(_message(_route(action))) if "risk" in b.text)
        for action in ("chat.read_synthesis", "work_item.manage", "execution.start")
    }
    assert kinds == {
        "chat.read_synthesis": "risk-low",
        "work_item.manage": "risk-medium",
        "execution.start": "risk-high",
    }


def test_fallback_and_requested_mode_are_shown() -> None:
    route = _route(
        "chat.read_synthesis",
        requested_mode=RouteMode.HYBRID,
        route_mode=RouteMode.DETERMINISTIC,
        fallback_reason=FallbackReason.LLM_TIMEOUT,
    )
    badges = _badges(_message(route, credential_scope="platform"))
    assert Badge("deterministic (hybrid)", "source") in badges
    assert Badge("fallback: llm_timeout", "fallback") in badges
    assert Badge("platform key", "credential") in badges


def test_llm_route_in_hybrid_mode_reads_llm_hybrid() -> None:
    route = _route("chat.read_synthesis", requested_mode="hybrid", route_mode="llm")
    assert Badge("llm (hybrid)", "source") in _badges(_message(route))


def test_approval_needed_then_given_on_the_reply() -> None:
    route = _route("execution.start")
    assert Badge("approval needed", "approval-needed") in _badges(_message(route))
    approved = _message(
        route, approval={"decided_by": "alice", "decided_at": "x", "decision": "approved"}
    )
    assert Badge("approved by alice", "approval-given") in _badges(approved)


def test_approval_card_badge_follows_its_status() -> None:
    route = _route("execution.start")

    def card(status: MessageStatus) -> list[Badge]:
        return _badges(_message(route, role=MessageRole.SYSTEM, status=status, kind="approval"))

    assert Badge("approval needed", "approval-needed") in card(MessageStatus.PENDING_APPROVAL)
    assert Badge("approved", "approval-given") in card(MessageStatus.APPROVED)
    assert Badge("refused", "approval-refused") in card(MessageStatus.DENIED)


def test_denial_and_clarification_lead_with_their_outcome() -> None:
    route = _route("project.invite_share")
    denial = _badges(_message(route, role=MessageRole.SYSTEM, kind="denial"))
    assert denial[:3] == [
        Badge("denied", "denied"),
        Badge("project.invite_share", "action"),
        Badge("high risk", "risk-high"),
    ]
    unsure = _route("execution.plan", "execution.start", requires_clarification=True)
    clarify = _badges(_message(unsure, role=MessageRole.SYSTEM, kind="clarification"))
    assert clarify[0] == Badge("needs clarification", "clarify")
    assert all(b.kind not in ("action", "risk-high", "approval-needed") for b in clarify)


def test_user_message_without_route_has_no_badges() -> None:
    assert _badges(_message(None, role=MessageRole.USER)) == []


def test_latency_formatting_and_injection() -> None:
    assert [format_latency(v) for v in (0.2, 12.6, 2500)] == ["<1 ms", "13 ms", "2.5 s"]
    badges = route_badges(
        _message(_route("chat.read_synthesis")), model_name=str, latency=lambda ms: "pinned"
    )
    assert badges[-1] == Badge("pinned", "latency")


def test_route_details_list_every_candidate_with_its_permission_row() -> None:
    route = _route(
        "execution.plan",
        "execution.start",
        requires_clarification=True,
        clarification_prompt="Plan or run?",
    )
    text = route_details_content(route.model_dump(mode="json"), latency=lambda _: "5 ms").plain
    assert "source: deterministic · routed in 5 ms" in text
    assert "clarification needed: Plan or run?" in text
    assert "1. execution.plan  confidence 0.90  risk medium" in text
    assert "2. execution.start  confidence 0.60  risk high" in text
    assert "surface work_item_thread · action execute → require_approval" in text
    assert "required scopes: conversation, project" in text
    assert "rationale: because execution.start" in text


def test_route_details_without_a_route_say_so() -> None:
    assert route_details_content({}).plain == "No route was recorded for this message."


def test_badges_pack_into_lines_without_splitting_a_badge() -> None:
    badges = [Badge("chat.read_synthesis", "action"), Badge("low risk", "risk-low")]
    badges.append(Badge("3 ms", "latency"))
    # widths: 21, 10, 6 cells (text plus one cell of padding each side)
    assert pack_badges(badges, 32) == [badges[:2], badges[2:]]
    assert pack_badges(badges, 39) == [badges]
    assert pack_badges(badges, 5) == [[b] for b in badges]
    lines = badges_content(badges, 32).plain.split("\n")
    assert lines == [" chat.read_synthesis   low risk ", " 3 ms "]
