"""Exporting a conversation as Markdown: all messages in order, routes under replies and
notices, terminal-safe text, and never overwriting a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from amprealize_tui.core.conversations.export import (
    all_messages,
    conversation_markdown,
    export_file_name,
    route_line,
    write_new_file,
)
from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
from amprealize_tui.core.conversations.store import ConversationStore
from amprealize_tui.core.routing.contract import ConversationScope

REPLY_META = {
    "chat_route": {"route_mode": "deterministic", "requested_mode": "hybrid"},
    "chat_route_fallback_reason": "llm_invalid_json",
    "chat_route_policy_context": {
        "chat_action": "chat.read_synthesis",
        "action_risk": "low",
        "decision": "allow",
    },
    "llm_model_id": "nvidia/deepseek-ai/deepseek-v4-flash",
    "credential_scope": "user",
    "is_byok": True,
}


@pytest.fixture
def store() -> ConversationStore:
    return ConversationStore(":memory:")


def test_all_messages_pages_through_a_long_conversation_in_order(
    store: ConversationStore,
) -> None:
    conversation = store.create_conversation()
    ids = [
        store.add_message(conversation.id, role=MessageRole.USER, content=str(i)).id
        for i in range(1203)
    ]
    assert [m.id for m in all_messages(store, conversation.id)] == ids


def test_route_line_says_how_a_reply_was_routed_and_who_paid() -> None:
    line = route_line(REPLY_META, lambda model_id: "DeepSeek V4 Flash")
    assert line == (
        "chat.read_synthesis · low risk · decision allow · deterministic (hybrid) · "
        "fallback llm_invalid_json · DeepSeek V4 Flash · BYOK user"
    )
    assert route_line({}, str) == ""


def test_the_document_has_every_message_routes_and_quoted_notices(
    store: ConversationStore,
) -> None:
    conversation = store.create_conversation(
        title="Atlas rollout", scope=ConversationScope.PROJECT_SPACE, project_id="atlas"
    )
    store.add_message(conversation.id, role=MessageRole.USER, content="what is a B-tree?")
    store.add_message(
        conversation.id,
        role=MessageRole.ASSISTANT,
        content="A **tree**.\x1b]52;c;ZXZpbA==\x07",
        metadata=REPLY_META,
        status=MessageStatus.INCOMPLETE,
    )
    store.add_message(
        conversation.id,
        role=MessageRole.SYSTEM,
        content="execution.start needs approval.\nrisk: high",
        metadata={**REPLY_META, "kind": "approval"},
    )
    text = conversation_markdown(store, conversation, lambda model_id: "DeepSeek V4 Flash")
    assert text.startswith("# Atlas rollout\n\n*project atlas conversation, started ")
    you, reply, notice = (text.index(h) for h in ("### you", "### assistant", "### approval"))
    assert you < reply < notice
    assert "### assistant (interrupted)" in text
    assert "A **tree**." in text and "\x1b" not in text and "ZXZpbA" not in text
    assert "> execution.start needs approval.\n> risk: high" in text
    assert text.count("*route: chat.read_synthesis · low risk") == 2  # reply and notice
    assert text.endswith("\n")


def test_file_names_and_never_overwriting(tmp_path: Path) -> None:
    assert export_file_name("What is a B-tree? (part 2)") == "what-is-a-b-tree-part-2.md"
    assert export_file_name("¿¡!!") == "conversation.md"
    first = write_new_file(tmp_path, "notes.md", "one")
    second = write_new_file(tmp_path, "notes.md", "two")
    assert (first.name, second.name) == ("notes.md", "notes-2.md")
    assert first.read_text() == "one" and second.read_text() == "two"
    with pytest.raises(OSError):
        write_new_file(tmp_path / "missing-dir", "notes.md", "three")
