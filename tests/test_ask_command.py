"""`amprealize-tui ask`: the whole core without the TUI, and what a killed process leaves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amprealize_tui.cli import main
from amprealize_tui.commands.ask import RESTART_NOTE
from amprealize_tui.core.audit.checkpoint import MetaCheckpoint
from amprealize_tui.core.audit.log import AuditLog
from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
from amprealize_tui.core.conversations.store import ConversationStore
from tests.loopback_server import LoopbackServer, Reply

KEY = "nvapi-ASK-test-key-not-real-000000005"


@pytest.fixture
def nim(loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> LoopbackServer:
    monkeypatch.setenv("NVIDIA_API_KEY", KEY)
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    return loopback


def _chat_calls(server: LoopbackServer) -> int:
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


def test_work_item_replies_without_approval(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "create a bug for the login crash"]) == 0
    out = capsys.readouterr().out
    assert "route: work_item.manage" in out and "decision allow" in out
    assert "Echo: create a bug for the login crash" in out
    assert "DeepSeek V4 Flash · platform key" in out
    assert _chat_calls(nim) == 1


def test_project_execution_needs_approval(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    message = "execute the plan for WI-7"
    assert main(["ask", "--project-id", "atlas", message]) == 4  # stdin is not a terminal
    captured = capsys.readouterr()
    assert "approval needed" in captured.out and "--yes" in captured.err
    assert _chat_calls(nim) == 0
    assert main(["ask", "--project-id", "atlas", "--yes", message]) == 0
    out = capsys.readouterr().out
    assert "approved by" in out and f"Echo: {message}" in out
    assert _chat_calls(nim) == 1


def test_a_provider_error_goes_to_stderr_with_exit_1(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nim.enqueue(Reply.problem(401, "Authentication failed"))
    assert main(["ask", "what is a b-tree?"]) == 1
    captured = capsys.readouterr()
    assert "route: chat.read_synthesis" in captured.out
    assert "error:" not in captured.out
    assert captured.err.startswith("error: NVIDIA rejected the API key (401)")
    assert KEY not in captured.out + captured.err


def test_personal_execution_is_denied_naming_the_scope(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "--yes", "execute the plan for WI-7"]) == 1
    out = capsys.readouterr().out
    assert "denial:" in out and "[conversation, project]" in out
    assert _chat_calls(nim) == 0


def test_audit_verify_passes_then_fails_after_one_byte_changes(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    assert main(["ask", "hello"]) == 0
    assert main(["audit", "verify"]) == 0
    assert "audit log OK: 2 records" in capsys.readouterr().out
    log = isolated_home / "audit.jsonl"
    data = bytearray(log.read_bytes())
    position = data.index(b"policy_decision") + 2
    data[position] ^= 0x01
    log.write_bytes(bytes(data))
    assert main(["audit", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_sigkill_mid_stream_leaves_a_store_and_log_that_open_and_verify(
    loopback: LoopbackServer, isolated_home: Path
) -> None:
    words = [f"word{i} " for i in range(400)]
    loopback.enqueue(Reply.stream(words, event_delay=0.02))
    env = {
        **os.environ,
        "NVIDIA_API_KEY": KEY,
        "AMPREALIZE_NVIDIA_BASE_URL": loopback.base_url,
        "AMPREALIZE_HOME": str(isolated_home),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "amprealize_tui", "ask", "tell me a long story"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        partial = ""
        while time.monotonic() < deadline and len(partial) < 200:
            time.sleep(0.1)
            if not (isolated_home / "amprealize.db").exists():
                continue
            with ConversationStore(isolated_home / "amprealize.db") as store:
                for conversation in store.list_conversations():
                    for message in store.messages_page(conversation.id):
                        if message.role is MessageRole.ASSISTANT:
                            partial = message.content
        assert len(partial) >= 200, "the reply was not saved incrementally while streaming"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with ConversationStore(isolated_home / "amprealize.db") as store:
        assert store.mark_streaming_incomplete() == 1
        conversation = store.list_conversations()[0]
        reply = next(
            m for m in store.messages_page(conversation.id) if m.role is MessageRole.ASSISTANT
        )
        assert reply.status is MessageStatus.INCOMPLETE
        assert reply.content.startswith("word0 word1 ")
        assert len(reply.content) < len("".join(words))
        report = AuditLog(isolated_home / "audit.jsonl", checkpoint=MetaCheckpoint(store)).verify()
    assert report.ok, report.problem
    assert report.count == 2


def test_reasoning_streamed_as_text_is_marked_when_the_answer_restarts(
    nim: LoopbackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    nim.enqueue(Reply.stream(["let me ", "think", "</think>", "B-trees balance."]))
    assert main(["ask", "what is a b-tree?"]) == 0
    out = capsys.readouterr().out
    reasoning, note, answer = out.partition(RESTART_NOTE)
    assert note and "let me think" in reasoning
    assert answer.lstrip().startswith("B-trees balance.")
