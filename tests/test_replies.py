"""The governed reply flow end to end: real store, audit log, vault, gateway and HTTP client
against the loopback server; the model is called only where the policy allows it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from amprealize_tui.core.config import load_settings
from amprealize_tui.core.conversations.events import (
    InputRejected,
    MessageAdded,
    MessageUpdated,
    ModelWorking,
    ReplyDelta,
    ReplyEvent,
    ReplyRestarted,
    RouteDecided,
)
from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
from amprealize_tui.core.conversations.replies import ReplyFlowError
from amprealize_tui.core.routing.contract import ConversationScope
from amprealize_tui.core.services import Services, build_services
from tests.loopback_server import LoopbackServer, Reply
from tests.vault_helpers import MemoryKeyring

PLATFORM_KEY = "nvapi-PLATFORM-test-key-not-real-0001"
DEFAULT_MODEL = "nvidia/deepseek-ai/deepseek-v4-flash"


@pytest.fixture
async def services(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    monkeypatch.setenv("NVIDIA_API_KEY", PLATFORM_KEY)
    built = build_services(load_settings(), keyring_backend=MemoryKeyring())
    yield built
    await built.aclose()


async def collect(events: AsyncIterator[ReplyEvent]) -> list[ReplyEvent]:
    return [event async for event in events]


def chat_requests(loopback: LoopbackServer) -> list[dict]:
    return [r.json for r in loopback.requests if r.path.endswith("/chat/completions")]


def added(events: list[ReplyEvent]) -> list:
    return [e.message for e in events if isinstance(e, MessageAdded)]


async def test_plain_question_streams_a_reply_with_route_metadata(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(conversation.id, "what is a B-tree?", model_id=DEFAULT_MODEL)
    )
    deltas = "".join(e.text for e in events if isinstance(e, ReplyDelta))
    assert deltas == "Echo: what is a B-tree?"
    final = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert final.role is MessageRole.ASSISTANT and final.status is MessageStatus.COMPLETE
    assert final.content == "Echo: what is a B-tree?"
    meta = final.metadata
    for key in (
        "chat_route",
        "chat_route_mode",
        "chat_route_confidence",
        "chat_route_requires_clarification",
        "chat_route_requires_approval",
        "chat_route_fallback_reason",
        "chat_route_policy_context",
        "llm_model_id",
        "llm_provider",
        "llm_model_api_name",
        "credential_scope",
        "is_byok",
    ):
        assert key in meta, key
    assert meta["chat_route_policy_context"]["chat_action"] == "chat.read_synthesis"
    assert meta["credential_scope"] == "platform" and meta["is_byok"] is False
    assert meta["llm_model_api_name"] == "deepseek-ai/deepseek-v4-flash"
    # The reply was persisted, the title came from the first message, one model call was made.
    stored = services.store.messages_page(conversation.id)
    assert [m.role for m in reversed(stored)] == [MessageRole.USER, MessageRole.ASSISTANT]
    assert services.store.get_conversation(conversation.id).title == "what is a B-tree?"
    assert len(chat_requests(loopback)) == 1
    assert loopback.last_request.headers["authorization"] == f"Bearer {PLATFORM_KEY}"


async def test_work_item_reply_needs_no_approval(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(
            conversation.id, "create a bug for the login crash", model_id=DEFAULT_MODEL
        )
    )
    decided = next(e for e in events if isinstance(e, RouteDecided))
    assert decided.route.primary.action_id == "work_item.manage"
    assert decided.decision.outcome.value == "allow"
    assert len(chat_requests(loopback)) == 1
    system_prompt = chat_requests(loopback)[0]["messages"][0]["content"]
    assert "work_item.manage" in system_prompt


async def test_execution_in_personal_chat_is_denied_naming_the_missing_scope(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(conversation.id, "execute the plan for WI-7", model_id=DEFAULT_MODEL)
    )
    denial = added(events)[-1]
    assert denial.metadata["kind"] == "denial" and denial.status is MessageStatus.DENIED
    assert "project" in denial.content and "conversation" in denial.content
    assert "open the conversation in a project" in denial.content
    assert chat_requests(loopback) == []


async def test_invite_from_personal_chat_is_denied_by_the_matrix(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(
            conversation.id, "invite dave@example.com to this project", model_id=DEFAULT_MODEL
        )
    )
    denial = added(events)[-1]
    assert denial.metadata["kind"] == "denial"
    assert "denied on global_chat by the permission matrix" in denial.content
    assert chat_requests(loopback) == []


async def test_project_execution_asks_for_approval_then_replies(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation(
        scope=ConversationScope.PROJECT_SPACE, project_id="atlas"
    )
    events = await collect(
        services.replies.send(conversation.id, "execute the plan for WI-7", model_id=DEFAULT_MODEL)
    )
    card = added(events)[-1]
    assert card.metadata["kind"] == "approval"
    assert card.status is MessageStatus.PENDING_APPROVAL
    assert card.metadata["risk"] == "high"
    assert chat_requests(loopback) == []  # nothing is generated before approval

    events = await collect(services.replies.approve(card.id))
    decided = next(e.message for e in events if isinstance(e, MessageUpdated))
    assert decided.status is MessageStatus.APPROVED
    assert decided.metadata["decided_by"] == services.settings.user_id
    assert decided.metadata["decided_at"]
    reply = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert reply.role is MessageRole.ASSISTANT and reply.status is MessageStatus.COMPLETE
    assert reply.metadata["approval"]["decision"] == "approved"
    assert len(chat_requests(loopback)) == 1
    with pytest.raises(ReplyFlowError, match="already decided"):
        await collect(services.replies.approve(card.id))
    kinds = [r["event_type"] for r in services.audit.tail(20)]
    assert "approval" in kinds and "execution_start" in kinds


async def test_denying_an_approval_never_calls_the_model(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation(
        scope=ConversationScope.PROJECT_SPACE, project_id="atlas"
    )
    events = await collect(
        services.replies.send(conversation.id, "/run backfill", model_id=DEFAULT_MODEL)
    )
    card = added(events)[-1]
    events = await collect(services.replies.deny(card.id))
    assert [e.message.status for e in events if isinstance(e, MessageUpdated)] == [
        MessageStatus.DENIED
    ]
    assert chat_requests(loopback) == []
    approval = [r for r in services.audit.tail(20) if r["event_type"] == "approval"]
    assert approval[-1]["decision"] == "denied"


async def test_clarification_then_choice_reroutes_with_the_preset(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation(
        scope=ConversationScope.PROJECT_SPACE, project_id="atlas"
    )
    # Two actions in one message: the router asks which one was meant.
    events = await collect(
        services.replies.send(
            conversation.id, "create a task and start the run", model_id=DEFAULT_MODEL
        )
    )
    notice = added(events)[-1]
    assert notice.metadata["kind"] == "clarification"
    assert chat_requests(loopback) == []
    choices = {c["action_id"] for c in notice.metadata["choices"]}
    assert {"work_item.manage", "execution.start"} <= choices
    events = await collect(services.replies.choose(notice.id, "work_item.manage"))
    decided = next(e for e in events if isinstance(e, RouteDecided))
    assert decided.route.primary.action_id == "work_item.manage"
    assert decided.route.primary.confidence == pytest.approx(0.98)
    reply = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert reply.role is MessageRole.ASSISTANT and reply.status is MessageStatus.COMPLETE
    assert len(chat_requests(loopback)) == 1
    with pytest.raises(ReplyFlowError, match="already answered"):
        await collect(services.replies.choose(notice.id, "work_item.manage"))


async def test_clarification_choice_must_be_offered(services: Services) -> None:
    conversation = services.store.create_conversation()
    message = services.store.add_message(conversation.id, role=MessageRole.USER, content="x")
    notice = services.store.add_message(
        conversation.id,
        role=MessageRole.SYSTEM,
        content="which?",
        status=MessageStatus.CLARIFICATION,
        metadata={
            "kind": "clarification",
            "user_message_id": message.id,
            "choices": [{"action_id": "execution.plan", "label": "", "confidence": 0.5}],
        },
    )
    with pytest.raises(ReplyFlowError, match="not one of the offered choices"):
        await collect(services.replies.choose(notice.id, "agent.manage"))


async def test_provider_error_keeps_the_text_and_retry_succeeds(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    loopback.enqueue(Reply.problem(400, "The model rejected the request"))
    events = await collect(
        services.replies.send(conversation.id, "hello there", model_id=DEFAULT_MODEL)
    )
    error = added(events)[-1]
    assert error.metadata["kind"] == "error" and error.metadata["retryable"] is True
    assert "rejected the request" in error.content
    user = services.store.get_message(error.metadata["retry_of"])
    assert user.content == "hello there"

    events = await collect(services.replies.retry(error.id))
    reply = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert reply.content == "Echo: hello there" and reply.status is MessageStatus.COMPLETE
    assert services.store.get_message(error.id).metadata["retryable"] is False


async def test_no_key_still_routes_and_explains_how_to_get_a_model(
    services: Services, loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NVIDIA_API_KEY")
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(
            conversation.id, "summarize this conversation", model_id=DEFAULT_MODEL
        )
    )
    assert any(isinstance(e, RouteDecided) for e in events)
    error = added(events)[-1]
    assert error.metadata["kind"] == "error"
    assert f"Selected model is not available: {DEFAULT_MODEL}" in error.content
    assert "NVIDIA_API_KEY" in error.content
    assert error.metadata["chat_route_policy_context"]["chat_action"] == "chat.read_synthesis"
    assert loopback.requests == []


async def test_invalid_metadata_is_rejected_and_nothing_is_persisted(services: Services) -> None:
    conversation = services.store.create_conversation()
    for model_id, message in [("", "non-empty string"), ("nvidia/nope", "Unknown LLM model")]:
        events = await collect(services.replies.send(conversation.id, "hi", model_id=model_id))
        assert len(events) == 1 and isinstance(events[0], InputRejected)
        assert message in events[0].error
    assert services.store.count_messages(conversation.id) == 0


async def test_blocked_byok_key_rejects_without_falling_back_to_platform(
    services: Services, loopback: LoopbackServer
) -> None:
    record = services.vault.save("nvidia", "nvapi-USER-test-key-not-real-000002")
    services.vault.disable(record.id, "consecutive_failures")
    conversation = services.store.create_conversation()
    events = await collect(services.replies.send(conversation.id, "hi", model_id=DEFAULT_MODEL))
    assert isinstance(events[0], InputRejected)
    assert "configured but invalid or locked" in events[0].error
    assert loopback.requests == []


async def test_byok_key_pays_for_routing_and_reply(
    services: Services, loopback: LoopbackServer
) -> None:
    user_key = "nvapi-USER-test-key-not-real-000003"
    services.vault.save("nvidia", user_key)
    conversation = services.store.create_conversation()
    loopback.enqueue(
        Reply.completion(
            json.dumps(
                {
                    "candidates": [
                        {
                            "action_id": "chat.read_synthesis",
                            "category": "read_synthesis",
                            "permission_surface": "global_chat",
                            "permission_action": "read",
                            "confidence": 0.9,
                            "risk": "low",
                            "target_resource_type": None,
                            "rationale": "a question",
                        }
                    ],
                    "requires_clarification": False,
                    "clarification_prompt": None,
                }
            )
        )
    )
    events = await collect(
        services.replies.send(
            conversation.id, "what is a B-tree?", model_id=DEFAULT_MODEL, mode="llm"
        )
    )
    decided = next(e for e in events if isinstance(e, RouteDecided))
    assert decided.route.route_mode.value == "llm" and decided.route.fallback_reason is None
    assert [r.headers["authorization"] for r in loopback.requests] == [f"Bearer {user_key}"] * 2
    reply = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert reply.metadata["credential_scope"] == "user" and reply.metadata["is_byok"] is True


async def test_cancel_keeps_the_partial_reply_marked_incomplete(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    # Long pieces: a thinking model's first few hundred untagged characters are held back
    # (a lone </think> may still follow), so short pieces would arrive as one delta.
    pieces = [f"{word} " * 60 for word in ("one", "two", "three", "four", "five", "six")]
    loopback.enqueue(Reply.stream(pieces, event_delay=0.3))
    seen: list[str] = []

    async def consume() -> None:
        async for event in services.replies.send(conversation.id, "count", model_id=DEFAULT_MODEL):
            if isinstance(event, ReplyDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    while len(seen) < 2:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = next(
        m for m in services.store.messages_page(conversation.id) if m.role is MessageRole.ASSISTANT
    )
    assert reply.status is MessageStatus.INCOMPLETE
    assert reply.content == "".join(seen)
    assert len(reply.content) < len("".join(pieces))
    assert reply.metadata["interruption"] == "cancelled by the user"


async def test_cut_stream_keeps_partial_text_marked_incomplete(
    services: Services, loopback: LoopbackServer
) -> None:
    conversation = services.store.create_conversation()
    loopback.enqueue(Reply.stream(["partial ", "answer ", "lost"], cut_after=2))
    events = await collect(services.replies.send(conversation.id, "go", model_id=DEFAULT_MODEL))
    reply = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert reply.status is MessageStatus.INCOMPLETE
    assert reply.content == "partial answer "


async def test_audit_records_cover_the_flow_and_verify(
    services: Services, loopback: LoopbackServer, isolated_home: Path
) -> None:
    conversation = services.store.create_conversation()
    await collect(services.replies.send(conversation.id, "hello", model_id=DEFAULT_MODEL))
    records = services.audit.tail(10)
    kinds = [r["event_type"] for r in records]
    assert kinds[-2:] == ["intent_classification", "policy_decision"]
    assert records[-2]["metadata"]["route_mode"] == "deterministic"
    assert records[-2]["metadata"]["llm_model_id"] == DEFAULT_MODEL
    assert records[-2]["metadata"]["credential_scope"] == "platform"
    assert services.audit.verify().ok
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert PLATFORM_KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "text",
    [
        "here is my key nvapi-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 can you check it",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "AKIAABCDEFGHIJKLMNOP in the config",
    ],
)
async def test_a_pasted_key_is_neither_sent_nor_saved(
    services: Services, loopback: LoopbackServer, isolated_home: Path, text: str
) -> None:
    conversation = services.store.create_conversation()
    events = await collect(services.replies.send(conversation.id, text, model_id=DEFAULT_MODEL))
    assert len(events) == 1 and isinstance(events[0], InputRejected)
    assert "looks like an API key" in events[0].error and "••••" in events[0].error
    assert services.store.count_messages(conversation.id) == 0
    assert loopback.requests == []
    secret = next(word for word in text.split() if len(word) >= 20)
    for path in isolated_home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in events[0].error


@pytest.mark.parametrize(
    "text",
    [
        "use sk-learn for the classifier",
        "the commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        "ask about nvapi-style keys",
        "a task-management tool",
    ],
)
async def test_ordinary_text_is_not_mistaken_for_a_key(services: Services, text: str) -> None:
    conversation = services.store.create_conversation()
    events = await collect(services.replies.send(conversation.id, text, model_id=DEFAULT_MODEL))
    assert not any(isinstance(e, InputRejected) for e in events)


async def test_the_model_call_is_announced_before_any_text_and_thinking_once(
    services: Services, loopback: LoopbackServer
) -> None:
    """Free-tier requests queue and thinking models reason before answering: the UI is told the
    model is working (and when it starts thinking) so a silent wait never looks like a hang."""
    loopback.enqueue(Reply.stream(["B-trees ", "balance."], reasoning_pieces=["hmm ", "so "]))
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(conversation.id, "what is a B-tree?", model_id=DEFAULT_MODEL)
    )
    kinds = [type(e).__name__ for e in events if isinstance(e, ModelWorking | ReplyDelta)]
    assert kinds[:3] == ["ModelWorking", "ModelWorking", "ReplyDelta"]
    working = [e for e in events if isinstance(e, ModelWorking)]
    assert [(w.model_id, w.thinking) for w in working] == [
        (DEFAULT_MODEL, False),
        (DEFAULT_MODEL, True),
    ]


async def test_no_model_call_means_no_working_announcement(services: Services) -> None:
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(conversation.id, "/tool list the files", model_id=DEFAULT_MODEL)
    )
    assert not any(isinstance(e, ModelWorking) for e in events)  # waiting for approval instead


async def test_reasoning_shown_as_text_is_withdrawn_when_a_lone_close_tag_arrives(
    services: Services, loopback: LoopbackServer
) -> None:
    loopback.enqueue(Reply.stream(["let me ", "think", "</think>", "B-trees balance."]))
    conversation = services.store.create_conversation()
    events = await collect(
        services.replies.send(conversation.id, "what is a B-tree?", model_id=DEFAULT_MODEL)
    )
    shown: list[str] = []
    for event in events:
        if isinstance(event, ReplyRestarted):
            shown.clear()
        elif isinstance(event, ReplyDelta):
            shown.append(event.text)
    assert any(isinstance(e, ReplyRestarted) for e in events)
    assert "".join(shown) == "B-trees balance."
    final = [e.message for e in events if isinstance(e, MessageUpdated)][-1]
    assert final.content == "B-trees balance." and final.status is MessageStatus.COMPLETE
    stored = services.store.get_message(final.id)
    assert stored is not None and stored.content == "B-trees balance."
