"""Turning candidates into a RouteResult: order, the clarification rules and the prompt.

Shared by the deterministic router, the LLM router and the gateway so that every route result,
whichever router produced it, applies the same thresholds (DESIGN.md section 2).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from amprealize_tui.core.routing.catalog import (
    ACTION_CATALOG,
    AMBIGUITY_GAP,
    CLARIFY_BELOW,
    build_candidate,
    resolve_surface,
)
from amprealize_tui.core.routing.contract import (
    FallbackReason,
    PermissionSurface,
    RouteCandidate,
    RouteContext,
    RouteMode,
    RouteResult,
)

MAX_CANDIDATES = 3

_templates: dict[tuple[str, PermissionSurface], RouteCandidate] = {}


def catalog_candidate(
    action_id: str,
    context: RouteContext,
    confidence: float,
    *,
    preset: str | None = None,
    rationale: str = "",
) -> RouteCandidate:
    """A candidate at the catalog's risk, fast: the contract fields (surface, scopes, effect,
    approval) come from `build_candidate` once per (action, surface) and are copied after that.

    `confidence` must be a finite number in 0..1 (the routers pass their own constants).
    """
    action = ACTION_CATALOG[action_id]
    key = (action_id, resolve_surface(action, context))
    template = _templates.get(key)
    if template is None:
        template = _templates[key] = build_candidate(action, context, 1.0)
    return template.model_copy(
        update={
            "confidence": confidence,
            "requires_clarification": confidence < CLARIFY_BELOW,
            "preset": preset,
            "rationale": rationale,
            "metadata": {},
        }
    )


def rank(candidates: Iterable[RouteCandidate]) -> tuple[RouteCandidate, ...]:
    """Best first, one candidate per action (its most confident), at most three."""
    best: dict[str, RouteCandidate] = {}
    for candidate in candidates:
        kept = best.get(candidate.action_id)
        if kept is None or candidate.confidence > kept.confidence:
            best[candidate.action_id] = candidate
    ordered = sorted(best.values(), key=lambda c: c.confidence, reverse=True)
    return tuple(ordered[:MAX_CANDIDATES])


def is_ambiguous(candidates: Sequence[RouteCandidate]) -> bool:
    """Two best candidates closer than AMBIGUITY_GAP (rounded so 0.93 - 0.83 is not < 0.1)."""
    return (
        len(candidates) >= 2
        and round(candidates[0].confidence - candidates[1].confidence, 9) < AMBIGUITY_GAP
    )


def needs_clarification(candidates: Sequence[RouteCandidate]) -> bool:
    return not candidates or candidates[0].confidence < CLARIFY_BELOW or is_ambiguous(candidates)


def clarification_prompt(candidates: Sequence[RouteCandidate], lead: str | None = None) -> str:
    """Names every choice, numbered in candidate order, so the UI's choice 1-3 matches it."""
    if not candidates:
        return "I could not tell what you want to do. Please rephrase your message."
    choices = [
        f"{number}) {ACTION_CATALOG[c.action_id].label} ({c.action_id})"
        for number, c in enumerate(candidates, start=1)
    ]
    if lead is None:
        lead = (
            "Your message could mean more than one thing."
            if is_ambiguous(candidates)
            else "I am not sure what you want to do."
        )
    listed = choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + " or " + choices[-1]
    return f"{lead} Did you mean {listed}? Pick a number, or rephrase your message."


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def assemble_result(
    candidates: Iterable[RouteCandidate],
    *,
    requested_mode: RouteMode,
    route_mode: RouteMode,
    started: float,
    fallback_reason: FallbackReason | None = None,
    force_clarification: bool = False,
    lead: str | None = None,
) -> RouteResult:
    """The result for these candidates; every field is computed here, so construction skips
    pydantic's validation (the candidates themselves are already contract-valid)."""
    ranked = rank(candidates)
    clarify = force_clarification or needs_clarification(ranked)
    return RouteResult.model_construct(
        candidates=ranked,
        requires_clarification=clarify,
        clarification_prompt=clarification_prompt(ranked, lead) if clarify else None,
        requested_mode=requested_mode,
        route_mode=route_mode,
        fallback_reason=fallback_reason,
        latency_ms=elapsed_ms(started),
    )
