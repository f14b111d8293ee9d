"""`amprealize-tui models` and `models verify` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from amprealize_tui.cli import main
from tests.loopback_server import LoopbackServer, Reply
from tests.providers_helpers import KEY

DEFAULT_ID = "nvidia/deepseek-ai/deepseek-v4-flash"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_lists_nvidia_models_with_the_default_marked(capsys, monkeypatch) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "o" * 30)
    code, out, _ = _run(capsys, "models")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["MODEL", "ID", "PROVIDER", "CONTEXT", "KEY"]
    default_row = next(line for line in lines if DEFAULT_ID in line)
    assert default_row.startswith("*") and "1,000,000" in default_row and "platform" in default_row
    assert "GPT-5" not in out  # frontier hidden by default
    assert lines[-1] == "Readiness: ready: 10 model(s) ready; DeepSeek V4 Flash is selected."
    assert KEY not in out


def test_json_output_and_all_models(capsys, monkeypatch) -> None:
    monkeypatch.setenv("NVIDIA_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "o" * 30)
    code, out, _ = _run(capsys, "models", "--provider", "all", "--all-models", "--json")
    data = json.loads(out)
    assert code == 0
    providers = {m["provider"] for m in data["models"]}
    assert providers == {"nvidia", "openai"}  # anthropic has no key
    default = next(m for m in data["models"] if m["model_id"] == DEFAULT_ID)
    assert default["is_default"] and default["selected"] and default["context_limit"] == 1_000_000
    assert default["credential_source"] == "platform" and default["is_byok"] is False
    assert data["readiness"]["state"] == "ready"
    assert data["readiness"]["suggested_model_id"] == DEFAULT_ID
    assert KEY not in out


def test_not_ready_without_a_key(capsys) -> None:
    code, out, _ = _run(capsys, "models", "--json")
    data = json.loads(out)
    assert code == 1 and data["models"] == []
    assert data["readiness"] == {
        "state": "needs_api_key",
        "message": "Add your NVIDIA key in Settings (F2) or set NVIDIA_API_KEY.",
        "suggested_model_id": DEFAULT_ID,
    }
    code, out, _ = _run(capsys, "models")
    assert "No models available." in out and "needs_api_key" in out


def test_bad_arguments_are_usage_errors(capsys) -> None:
    code, _, err = _run(capsys, "models", "--provider", "bogus")
    assert code == 2 and "unknown provider 'bogus'" in err and "nvidia" in err
    code, _, err = _run(capsys, "models", "verify", "--model", "no/such")
    assert code == 2 and "unknown model 'no/such'" in err


@pytest.mark.parametrize(
    ("reply", "code", "word"),
    [
        (Reply.completion("p"), 0, "valid:"),
        (Reply.problem(401, "bad key"), 1, "invalid:"),
        (Reply.problem(404, "not for this account"), 1, "model not served:"),
        (Reply.problem(429, "busy"), 3, "inconclusive:"),
    ],
)
def test_verify_against_the_loopback_server(
    capsys, monkeypatch, loopback: LoopbackServer, reply, code, word
) -> None:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    monkeypatch.setenv("NVIDIA_API_KEY", KEY)
    loopback.enqueue(reply)
    status, out, _ = _run(capsys, "models", "verify", "--model", "z-ai/glm-5.1")
    assert status == code
    assert out.startswith(word) and "(platform key nvapi-TE••••)" in out
    assert loopback.last_request.json["model"] == "z-ai/glm-5.1"
    assert loopback.last_request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in out


def test_verify_without_a_key_sends_nothing(capsys, monkeypatch, loopback: LoopbackServer) -> None:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    code, _, err = _run(capsys, "models", "verify")
    assert code == 1 and "No API key for provider nvidia" in err
    assert loopback.requests == []
