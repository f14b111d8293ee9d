"""`amprealize-tui route`: JSON and summary output, --batch, usage errors (exit 2)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amprealize_tui.cli import main
from amprealize_tui.core.routing.contract import FallbackReason, RouteMode, RouteResult


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["route", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_validates_as_a_route_result(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "create a bug for the login crash", "--json")
    assert code == 0
    result = RouteResult.model_validate(json.loads(out))
    assert result.primary is not None and result.primary.action_id == "work_item.manage"
    assert result.requested_mode is RouteMode.DETERMINISTIC
    assert set(json.loads(out)) == {
        "candidates",
        "requires_clarification",
        "clarification_prompt",
        "requested_mode",
        "route_mode",
        "fallback_reason",
        "latency_ms",
    }


def test_context_options_change_the_surface(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "resume the stopped run",
        "--scope",
        "global_user_home",
        "--link",
        "run:42",
        "--org-id",
        "acme",
        "--json",
    )
    assert code == 0
    primary = json.loads(out)["candidates"][0]
    assert primary["permission_surface"] == "run_thread"
    assert primary["requires_approval"] is True
    code, out, _ = _run(
        capsys, "share this project", "--scope", "project_room", "--project-id", "p1", "--json"
    )
    assert json.loads(out)["candidates"][0]["permission_effect"] == "allow"


def test_readable_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "create a task and start the run")
    assert code == 0
    assert "action:    work_item.manage" in out
    assert "clarify:" in out and "execution.start" in out
    assert "routed:    deterministic" in out
    assert "fallback" not in out


@pytest.mark.parametrize("mode", ["llm", "hybrid"])
def test_llm_modes_without_a_completer_say_so(
    capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    code, out, _ = _run(capsys, "the login bug is back", "--mode", mode)
    assert code == 0
    assert "LLM routing unavailable: no key" in out
    assert "(llm_unavailable)" in out
    assert f"(requested {mode})" in out
    code, out, _ = _run(capsys, "the login bug is back", "--mode", mode, "--json")
    assert json.loads(out)["fallback_reason"] == FallbackReason.LLM_UNAVAILABLE.value


def test_batch_with_a_bad_line_in_the_middle(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [
        {"message": "attach the design doc"},
        "this is not json",
        {"message": "run it", "scope": "run_thread", "project_id": "p1",
         "resource_links": [{"resource_type": "run", "resource_id": "7"}]},
        {"message": "hi", "scope": "project_space"},
        {"message": "hi", "mode": "turbo"},
        {"message": "hi", "colour": "blue"},
        [1, 2],
        {"message": "the login bug is back", "mode": "llm"},
        {"message": "x", "resource_links": [{"resource_type": "run"}]},
        {"message": "invite erin", "scope": "global_user_home", "project_id": "p1"},
    ]  # fmt: skip
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    )
    code, out, _ = _run(capsys, "--batch", str(batch))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(lines)
    assert RouteResult.model_validate(rows[0]).primary.action_id == "attachment.add"  # type: ignore[union-attr]
    assert rows[1]["error"].startswith("line 2: not valid JSON")
    third = RouteResult.model_validate(rows[2])
    assert third.primary is not None and third.primary.permission_surface.value == "run_thread"
    assert "needs a project id" in rows[3]["error"]
    assert "unknown route mode 'turbo'" in rows[4]["error"]
    assert "unknown key(s) colour" in rows[5]["error"]
    assert "JSON object" in rows[6]["error"]
    assert rows[7]["fallback_reason"] == "llm_unavailable"
    assert "resource_links" in rows[8]["error"]
    assert "must not have a project id" in rows[9]["error"]


def test_batch_from_stdin(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"message": "/plan it"}\n{"message": "hi"}\n'))
    code, out, _ = _run(capsys, "--batch", "-")
    assert code == 0
    actions = [json.loads(line)["candidates"][0]["action_id"] for line in out.splitlines()]
    assert actions == ["execution.plan", "chat.read_synthesis"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["hi", "--scope", "moon"], "unknown scope 'moon'"),
        (["hi", "--project-id", "p1"], "must not have a project id"),
        (["hi", "--scope", "project_space"], "needs a project id"),
        (["hi", "--link", "run42"], "--link expects TYPE:ID"),
        (["hi", "--link", ":42"], "--link expects TYPE:ID"),
        (["hi", "--mode", "fast"], "unknown route mode 'fast'"),
        ([], "nothing to route"),
        (["hi", "--batch", "-"], "not both"),
        (["--batch", "/no/such/file.jsonl"], "cannot read batch file"),
        (["--batch", "-", "--link", "run:1"], "--batch takes the context from each line"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_subprocess_json_and_exit_codes(tmp_path: Path) -> None:
    env = {**os.environ, "AMPREALIZE_HOME": str(tmp_path / "home")}
    ok = subprocess.run(
        [sys.executable, "-m", "amprealize_tui", "route", "create a bug for the login crash",
         "--json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    result = RouteResult.model_validate_json(ok.stdout)
    assert result.primary is not None and result.primary.action_id == "work_item.manage"
    bad = subprocess.run(
        [sys.executable, "-m", "amprealize_tui", "route", "hi", "--scope", "global_user_home",
         "--project-id", "p1"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "must not have a project id" in bad.stderr


def test_version_names_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"amprealize-tui {version('amprealize-tui')}"
