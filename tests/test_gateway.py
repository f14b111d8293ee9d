"""ChatRouteGateway: modes, overrides, unknown modes, hybrid sure/unsure/disagreement, timeouts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from amprealize_tui.core.config import load_settings
from amprealize_tui.core.providers.errors import ProviderRateLimited
from amprealize_tui.core.routing.catalog import ACTION_CATALOG
from amprealize_tui.core.routing.contract import (
    FallbackReason,
    RouteContext,
    RouteMode,
    RouteResult,
)
from amprealize_tui.core.routing.gateway import ChatRouteGateway, RouteModeError

HOME = RouteContext()


def model_answer(action_id: str, confidence: float = 0.9) -> str:
    action = ACTION_CATALOG[action_id]
    return json.dumps(
        {
            "candidates": [
                {
                    "action_id": action_id,
                    "category": action.category.value,
                    "permission_surface": action.default_surface.value,
                    "permission_action": action.permission_action.value,
                    "confidence": confidence,
                    "risk": action.risk.value,
                    "target_resource_type": action.target_resource_type,
                    "rationale": "model says so",
                }
            ],
            "requires_clarification": False,
            "clarification_prompt": None,
        }
    )


class Completer:
    def __init__(self, reply: str | BaseException, delay: float = 0.0) -> None:
        self.reply, self.delay, self.calls = reply, delay, 0

    async def complete_json(self, messages: list[dict[str, str]], schema: dict, timeout: float):
        self.calls += 1
        await asyncio.sleep(self.delay)
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply


def _valid(result: RouteResult) -> RouteResult:
    return RouteResult.model_validate(result.model_dump())


async def test_deterministic_mode_never_asks_the_model() -> None:
    completer = Completer(model_answer("agent.manage"))
    result = await ChatRouteGateway().route("file a bug", HOME, completer=completer)
    assert completer.calls == 0
    assert result.requested_mode is result.route_mode is RouteMode.DETERMINISTIC
    assert result.fallback_reason is None
    assert result.primary is not None and result.primary.action_id == "work_item.manage"
    _valid(result)


async def test_llm_mode_uses_the_validated_model_route() -> None:
    gateway = ChatRouteGateway(RouteMode.LLM)
    completer = Completer(model_answer("agent.manage"))
    result = await gateway.route("file a bug", HOME, completer=completer)
    assert completer.calls == 1
    assert result.requested_mode is RouteMode.LLM and result.route_mode is RouteMode.LLM
    assert result.primary is not None and result.primary.action_id == "agent.manage"
    assert result.fallback_reason is None
    assert result.latency_ms > 0
    _valid(result)


@pytest.mark.parametrize("override", ["llm", RouteMode.LLM, " LLM "])
async def test_per_request_override(override: Any) -> None:
    gateway = ChatRouteGateway(RouteMode.DETERMINISTIC)
    result = await gateway.route(
        "file a bug", HOME, mode=override, completer=Completer(model_answer("agent.manage"))
    )
    assert result.requested_mode is RouteMode.LLM and result.route_mode is RouteMode.LLM
    plain = await ChatRouteGateway(RouteMode.LLM).route(
        "file a bug", HOME, mode="deterministic", completer=Completer("unused")
    )
    assert plain.route_mode is RouteMode.DETERMINISTIC and plain.fallback_reason is None


@pytest.mark.parametrize("bad", ["fast", "", "LLMs", 3])
async def test_unknown_mode_is_a_clear_error(bad: Any) -> None:
    gateway = ChatRouteGateway()
    with pytest.raises(RouteModeError, match="deterministic, llm, hybrid"):
        await gateway.route("hi", HOME, mode=bad)
    with pytest.raises(ValueError):  # RouteModeError is a ValueError
        gateway.check_mode(bad)
    with pytest.raises(RouteModeError):
        ChatRouteGateway(bad)


def test_bad_timeout_is_rejected() -> None:
    for timeout in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="routing_timeout"):
            ChatRouteGateway(routing_timeout=timeout)


async def test_llm_mode_without_a_completer_falls_back_unavailable() -> None:
    result = await ChatRouteGateway(RouteMode.LLM).route("file a bug", HOME)
    assert result.fallback_reason is FallbackReason.LLM_UNAVAILABLE
    assert result.requested_mode is RouteMode.LLM
    assert result.route_mode is RouteMode.DETERMINISTIC
    assert result.primary is not None and result.primary.action_id == "work_item.manage"
    _valid(result)


async def test_llm_timeout_falls_back_within_the_budget() -> None:
    gateway = ChatRouteGateway(RouteMode.LLM, routing_timeout=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await gateway.route("file a bug", HOME, completer=Completer("{}", delay=5))
    assert loop.time() - started < 1.0
    assert result.fallback_reason is FallbackReason.LLM_TIMEOUT
    assert result.route_mode is RouteMode.DETERMINISTIC
    assert result.primary is not None and result.primary.action_id == "work_item.manage"
    assert 40 <= result.latency_ms < 1000


async def test_provider_error_falls_back_with_its_reason() -> None:
    result = await ChatRouteGateway(RouteMode.HYBRID).route(
        "the login bug is back", HOME, completer=Completer(ProviderRateLimited("429"))
    )
    assert result.fallback_reason is FallbackReason.LLM_RATE_LIMITED
    assert result.requested_mode is RouteMode.HYBRID


async def test_hybrid_answers_from_the_rules_when_sure() -> None:
    completer = Completer(model_answer("agent.manage"))
    gateway = ChatRouteGateway(RouteMode.HYBRID)
    for message in ("create a bug for the login crash", "what is a B-tree?", "/run backfill"):
        result = await gateway.route(message, HOME, completer=completer)
        assert result.route_mode is RouteMode.DETERMINISTIC
        assert result.requested_mode is RouteMode.HYBRID
        assert result.fallback_reason is None
    assert completer.calls == 0


async def test_a_preset_wins_in_llm_mode_too() -> None:
    completer = Completer(model_answer("agent.manage"))
    result = await ChatRouteGateway(RouteMode.LLM).route("/plan it", HOME, completer=completer)
    assert completer.calls == 0
    assert result.primary is not None and result.primary.action_id == "execution.plan"
    assert result.fallback_reason is None


async def test_hybrid_asks_the_model_when_unsure() -> None:
    # Ambiguous for the rules (two actions 0.93 / 0.92): the model settles it.
    completer = Completer(model_answer("work_item.manage", 0.95))
    result = await ChatRouteGateway(RouteMode.HYBRID).route(
        "create a task and attach the spec", HOME, completer=completer
    )
    assert completer.calls == 1
    assert result.route_mode is RouteMode.LLM
    assert result.primary is not None and result.primary.action_id == "work_item.manage"
    assert not result.requires_clarification


async def test_hybrid_low_confidence_rules_ask_the_model() -> None:
    completer = Completer(model_answer("chat.read_synthesis", 0.9))
    result = await ChatRouteGateway(RouteMode.HYBRID).route(
        "the login bug is back", HOME, completer=completer
    )
    assert completer.calls == 1
    assert result.route_mode is RouteMode.LLM


async def test_hybrid_disagreement_on_high_risk_asks_naming_both() -> None:
    # The rules are unsure and say "read"; the model says "start a run" (high risk).
    completer = Completer(model_answer("execution.start", 0.95))
    result = await ChatRouteGateway(RouteMode.HYBRID).route(
        "the login bug is back", HOME, completer=completer
    )
    assert result.requires_clarification
    assert [c.action_id for c in result.candidates] == [
        "execution.start",
        "chat.read_synthesis",
    ]
    prompt = result.clarification_prompt or ""
    assert "execution.start" in prompt and "chat.read_synthesis" in prompt
    assert "language model" in prompt and "rules" in prompt
    _valid(result)


async def test_hybrid_disagreement_without_high_risk_takes_the_model() -> None:
    completer = Completer(model_answer("work_item.manage", 0.9))
    result = await ChatRouteGateway(RouteMode.HYBRID).route(
        "the login bug is back", HOME, completer=completer
    )
    assert not result.requires_clarification
    assert result.primary is not None and result.primary.action_id == "work_item.manage"


async def test_llm_mode_disagreement_is_not_second_guessed() -> None:
    completer = Completer(model_answer("execution.start", 0.95))
    result = await ChatRouteGateway(RouteMode.LLM).route(
        "the login bug is back", HOME, completer=completer
    )
    assert not result.requires_clarification
    assert result.primary is not None and result.primary.action_id == "execution.start"
    assert result.primary.requires_approval  # still governed


def test_route_deterministic_is_sync_and_fast() -> None:
    result = ChatRouteGateway(RouteMode.LLM).route_deterministic("attach the design doc", HOME)
    assert result.primary is not None and result.primary.action_id == "attachment.add"
    assert result.route_mode is RouteMode.DETERMINISTIC and result.fallback_reason is None


def test_route_with_preset() -> None:
    gateway = ChatRouteGateway(RouteMode.HYBRID)
    result = gateway.route_with_preset("agent.manage", "create a task and a bot", HOME)
    assert result.primary is not None and result.primary.action_id == "agent.manage"
    assert result.primary.preset == "/agent" and result.primary.confidence == 0.98
    assert not result.requires_clarification
    assert result.requested_mode is RouteMode.HYBRID
    assert result.route_mode is RouteMode.DETERMINISTIC
    with pytest.raises(ValueError, match="unknown action"):
        gateway.route_with_preset("agent.delete", "x", HOME)


def test_default_mode_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPREALIZE_CHAT_ROUTE_MODE", "hybrid")
    gateway = ChatRouteGateway.from_settings(load_settings())
    assert gateway.default_mode is RouteMode.HYBRID
    assert gateway.check_mode(None) is RouteMode.HYBRID
    assert gateway.routing_timeout == 8.0
