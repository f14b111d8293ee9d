"""`route --mode llm|hybrid` end to end: the CLI calls the routing model over real HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from amprealize_tui.cli import main
from tests.loopback_server import LoopbackServer, Reply

KEY = "nvapi-ROUTE-test-key-not-real-00004"


def _answer(action_id: str, category: str, permission_action: str, delay: float = 0.0) -> Reply:
    candidate = {
        "action_id": action_id,
        "category": category,
        "permission_surface": "global_chat",
        "permission_action": permission_action,
        "confidence": 0.91,
        "risk": "low",
        "target_resource_type": None,
        "rationale": "scripted",
    }
    return Reply.completion(
        json.dumps(
            {
                "candidates": [candidate],
                "requires_clarification": False,
                "clarification_prompt": None,
            }
        ),
        delay=delay,
    )


@pytest.fixture
def nim(loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> LoopbackServer:
    monkeypatch.setenv("NVIDIA_API_KEY", KEY)
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    return loopback


def _route(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["route", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_llm_mode_uses_the_models_valid_answer(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nim.enqueue(_answer("attachment.add", "attachment", "create"))
    result = _route(capsys, "--mode", "llm", "please take care of the logs")
    assert result["route_mode"] == "llm" and result["fallback_reason"] is None
    primary = result["candidates"][0]
    assert primary["action_id"] == "attachment.add"
    assert primary["permission_surface"] == "attachment"  # from resolution, not the model
    assert primary["risk"] == "medium"  # the catalog's, above the model's "low"
    request = nim.last_request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.json
    assert body["model"] == "deepseek-ai/deepseek-v4-flash"
    assert body["response_format"]["type"] == "json_schema"
    assert body["temperature"] == 0


def test_llm_mode_falls_back_on_a_hostile_answer(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nim.enqueue(_answer("execution.start", "read_synthesis", "read"))
    result = _route(capsys, "--mode", "llm", "start the run for the search reindex")
    assert result["route_mode"] == "deterministic"
    assert result["fallback_reason"] == "llm_inconsistent_candidate"
    assert result["candidates"][0]["action_id"] == "execution.start"
    assert result["candidates"][0]["requires_approval"] is True


def test_llm_mode_reports_a_rejected_key(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nim.enqueue(Reply.problem(401, "Authentication failed"))
    result = _route(capsys, "--mode", "llm", "hello")
    assert result["fallback_reason"] == "llm_auth_failed"


def test_llm_mode_names_the_routing_model(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nim.enqueue(_answer("chat.read_synthesis", "read_synthesis", "read"))
    _route(capsys, "--mode", "llm", "--model", "moonshotai/kimi-k2-thinking", "hi")
    assert nim.last_request.json["model"] == "moonshotai/kimi-k2-thinking"
    assert main(["route", "--mode", "llm", "--model", "nope/nothing", "hi"]) == 2


def test_hybrid_asks_the_model_only_when_unsure(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sure = _route(capsys, "--mode", "hybrid", "/plan split the users table")
    assert sure["route_mode"] == "deterministic" and sure["requested_mode"] == "hybrid"
    assert nim.requests == []
    nim.enqueue(_answer("work_item.manage", "work_management", "create"))
    unsure = _route(capsys, "--mode", "hybrid", "the login ticket needs some love")
    assert len(nim.requests) == 1
    assert unsure["route_mode"] == "llm"
    assert unsure["candidates"][0]["action_id"] == "work_item.manage"


def test_without_a_key_llm_mode_falls_back_and_says_so(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    assert main(["route", "--mode", "llm", "hello"]) == 0
    assert "LLM routing unavailable" in capsys.readouterr().out
    assert loopback.requests == []


def test_a_slow_routing_model_falls_back_within_the_routing_budget(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("routing_timeout = 0.3\n")
    nim.enqueue(_answer("attachment.add", "attachment", "create", delay=3.0))
    started = time.monotonic()
    result = _route(capsys, "--mode", "llm", "please take care of the logs")
    assert time.monotonic() - started < 2.0
    assert result["fallback_reason"] == "llm_timeout"
    assert result["route_mode"] == "deterministic"
