"""The expanded view of a route: every candidate with its confidence and permission row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.content import Content

from amprealize_tui.core.conversations.labels import route_source
from amprealize_tui.tui.widgets.badges import LatencyFormatter, format_latency


def _candidate_lines(index: int, candidate: Mapping[str, Any]) -> list[tuple[str, str] | str]:
    confidence = candidate.get("confidence")
    confidence_text = f"{confidence:.2f}" if isinstance(confidence, int | float) else "?"
    scopes = ", ".join(str(s) for s in candidate.get("required_scopes") or ()) or "none"
    approval = "approval required" if candidate.get("requires_approval") else "no approval"
    lines: list[tuple[str, str] | str] = [
        (f"{index}. {candidate.get('action_id', '?')}", "bold"),
        f"  confidence {confidence_text}  risk {candidate.get('risk', '?')}\n",
        f"   surface {candidate.get('permission_surface', '?')}"
        f" · action {candidate.get('permission_action', '?')}"
        f" → {candidate.get('permission_effect', '?')} · {approval}\n",
        f"   required scopes: {scopes}\n",
    ]
    if candidate.get("preset"):
        lines.append(f"   preset: {candidate['preset']}\n")
    if candidate.get("rationale"):
        lines.append((f"   rationale: {candidate['rationale']}\n", "italic $text-muted"))
    return lines


def route_details_content(
    route: Mapping[str, Any], *, latency: LatencyFormatter = format_latency
) -> Content:
    """Everything the contract recorded about a route, one candidate per block.

    Values are inserted as plain text (never markup): a rationale may come from the LLM router.
    """
    if not route:
        return Content("No route was recorded for this message.")
    parts: list[tuple[str, str] | str] = [("Route", "bold underline"), "\n"]
    parts.append(f"source: {route_source(route) or '?'}")
    if route.get("fallback_reason"):
        parts += [" · ", (f"fallback: {route['fallback_reason']}", "bold $text-warning")]
    if isinstance(route.get("latency_ms"), int | float):
        parts.append(f" · routed in {latency(float(route['latency_ms']))}")
    parts.append("\n")
    if route.get("requires_clarification"):
        prompt = route.get("clarification_prompt") or "which action?"
        parts.append((f"clarification needed: {prompt}\n", "$text-accent"))
    candidates = route.get("candidates") or []
    if not candidates:
        parts.append("no candidates\n")
    for index, candidate in enumerate(candidates, start=1):
        if isinstance(candidate, Mapping):
            parts += _candidate_lines(index, candidate)
    return Content.assemble(*parts).rstrip()
