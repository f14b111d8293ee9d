"""The chat route gateway: one entry point for the three route modes.

- deterministic: the rules alone.
- llm: the model proposes, post-validation decides; any failure falls back to the rules.
- hybrid: the rules answer when they are sure (a preset, or confidence >= 0.85 and no
  ambiguity); otherwise the model is asked within the routing budget, and if the model and the
  rules pick different primaries where either is high risk, the user is asked to choose.

A preset (`/run ...`) is an explicit choice: it wins in every mode without asking the model.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from amprealize_tui.core.routing.catalog import ACTION_CATALOG
from amprealize_tui.core.routing.contract import (
    FallbackReason,
    Risk,
    RouteCandidate,
    RouteContext,
    RouteMode,
    RouteResult,
)
from amprealize_tui.core.routing.deterministic import DeterministicRouter, find_preset
from amprealize_tui.core.routing.llm import JsonCompleter, route_with_llm
from amprealize_tui.core.routing.results import assemble_result, elapsed_ms

if TYPE_CHECKING:
    from amprealize_tui.core.config import Settings

HYBRID_SURE_CONFIDENCE = 0.85


class RouteModeError(ValueError):
    """An unknown route mode; the message lists the valid ones."""


def parse_route_mode(mode: RouteMode | str) -> RouteMode:
    """A RouteMode from a mode or its name (case and surrounding spaces ignored)."""
    if isinstance(mode, RouteMode):
        return mode
    valid = ", ".join(m.value for m in RouteMode)
    if not isinstance(mode, str):
        raise RouteModeError(f"route mode must be one of: {valid} (got {type(mode).__name__})")
    try:
        return RouteMode(mode.strip().lower())
    except ValueError:
        raise RouteModeError(f"unknown route mode {mode!r}; use one of: {valid}") from None


def is_sure(result: RouteResult) -> bool:
    """Whether hybrid mode may answer from the deterministic result without the model."""
    primary = result.primary
    if primary is None or result.requires_clarification:
        return False
    return primary.preset is not None or primary.confidence >= HYBRID_SURE_CONFIDENCE


class ChatRouteGateway:
    def __init__(
        self, default_mode: RouteMode = RouteMode.DETERMINISTIC, *, routing_timeout: float = 8.0
    ) -> None:
        if not math.isfinite(routing_timeout) or routing_timeout <= 0:
            raise ValueError(
                f"routing_timeout must be a positive number of seconds, not {routing_timeout!r}"
            )
        self.default_mode = parse_route_mode(default_mode)
        self.routing_timeout = routing_timeout
        self._router = DeterministicRouter()

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatRouteGateway:
        """Default mode from AMPREALIZE_CHAT_ROUTE_MODE or config.toml; budget from config."""
        return cls(settings.route_mode, routing_timeout=settings.routing_timeout)

    def check_mode(self, mode: RouteMode | str | None) -> RouteMode:
        """The mode a request will use: its override, else the default. Raises RouteModeError."""
        return self.default_mode if mode is None else parse_route_mode(mode)

    def route_deterministic(self, message: str, context: RouteContext) -> RouteResult:
        return self._router.route(message, context)

    def route_with_preset(self, action_id: str, message: str, context: RouteContext) -> RouteResult:
        """Re-route as if the action's preset had been typed: the user picked `action_id` from a
        clarification for `message`. Raises ValueError for an action not in the catalog."""
        return self._router.route_preset(
            action_id, message, context, requested_mode=self.default_mode
        )

    async def route(
        self,
        message: str,
        context: RouteContext,
        *,
        mode: RouteMode | str | None = None,
        completer: JsonCompleter | None = None,
    ) -> RouteResult:
        started = time.perf_counter()
        requested = self.check_mode(mode)
        rules = self._router.route(message, context, requested_mode=requested)
        if (
            requested is RouteMode.DETERMINISTIC
            or find_preset(message) is not None
            or (requested is RouteMode.HYBRID and is_sure(rules))
        ):
            return rules.model_copy(update={"latency_ms": elapsed_ms(started)})
        if completer is None:
            return rules.model_copy(
                update={
                    "fallback_reason": FallbackReason.LLM_UNAVAILABLE,
                    "latency_ms": elapsed_ms(started),
                }
            )
        result = await route_with_llm(
            message,
            context,
            completer,
            timeout=self.routing_timeout,
            fallback=rules,
            requested_mode=requested,
            started=started,
        )
        if requested is RouteMode.HYBRID and result.route_mode is RouteMode.LLM:
            model_pick, rules_pick = result.primary, rules.primary
            if (
                model_pick is not None
                and rules_pick is not None
                and model_pick.action_id != rules_pick.action_id
                and Risk.HIGH in (model_pick.risk, rules_pick.risk)
            ):
                return _ask_which(model_pick, rules_pick, requested, started)
        return result


def _ask_which(
    model_pick: RouteCandidate, rules_pick: RouteCandidate, requested: RouteMode, started: float
) -> RouteResult:
    """The model and the rules disagree about a high-risk action: both are the choices, and the
    prompt says where each came from."""
    lead = (
        f"The language model suggests {ACTION_CATALOG[model_pick.action_id].label} "
        f"({model_pick.action_id}) but the routing rules suggest "
        f"{ACTION_CATALOG[rules_pick.action_id].label} ({rules_pick.action_id}), and one of them "
        "is high risk."
    )
    return assemble_result(
        [model_pick, rules_pick],
        requested_mode=requested,
        route_mode=RouteMode.LLM,
        started=started,
        force_clarification=True,
        lead=lead,
    )
