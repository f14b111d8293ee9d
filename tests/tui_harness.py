"""The deterministic harness for chat TUI tests, snapshots and screenshots.

`harness_app(home, ...)` builds the real app (real store, audit log, vault, gateway and reply
service) over:
- a scripted provider: an `httpx.MockTransport` speaking OpenAI chat completions (JSON and SSE),
  answering from a per-test script, else echoing the last user message in a few chunks;
- an in-memory keyring, optionally holding a fake NVIDIA key (`FAKE_NVIDIA_KEY`);
- a fixed clock (2026-01-15 10:00 UTC), TZ=UTC, user "alice", pinned routing latency and no
  cursor blink, so a snapshot depends on nothing but the code.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot

from amprealize_tui.core.config import Settings, load_settings
from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
from amprealize_tui.core.services import Services, build_services
from amprealize_tui.tui.app import AmprealizeApp
from amprealize_tui.tui.factory import build_app
from amprealize_tui.tui.screens.chat import ChatScreen
from tests.vault_helpers import MemoryKeyring

FIXED_NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
FAKE_NVIDIA_KEY = "nvapi-TEST-not-a-real-key-0000"
PINNED_LATENCY = "3 ms"
USER_ID = "alice"


def fixed_clock() -> datetime:
    return FIXED_NOW


def pinned_latency(_latency_ms: float) -> str:
    return PINNED_LATENCY


@dataclass
class ScriptedReply:
    """One scripted answer to a streamed reply request.

    `pieces` are sent as SSE content deltas (`gap` seconds apart). `status` other than 200 sends
    a problem-details error instead. `hang` keeps the stream open after the pieces until the
    request is cancelled (for cancel tests).
    """

    pieces: tuple[str, ...] = ()
    status: int = 200
    detail: str = "scripted failure"
    gap: float = 0.0
    hang: bool = False


@dataclass
class ScriptedProvider:
    """Answers chat-completion requests from scripts; records every request body."""

    replies: deque[ScriptedReply] = field(default_factory=deque)
    routes: deque[str] = field(default_factory=deque)  # raw content for routing JSON calls
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)  # one per reply request

    def reply(self, *replies: ScriptedReply) -> None:
        self.replies.extend(replies)

    def route(self, *contents: str) -> None:
        self.routes.extend(contents)

    @property
    def reply_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("stream")]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append(body)
        if not request.url.path.endswith("/chat/completions"):
            return _problem(404, f"no route for {request.url.path}")
        if body.get("stream"):
            self.authorizations.append(request.headers.get("authorization", ""))
            return self._stream(body)
        content = self.routes.popleft() if self.routes else '{"candidates": []}'
        return httpx.Response(200, json=_completion(content, body.get("model", "")))

    def _stream(self, body: dict[str, Any]) -> httpx.Response:
        script = self.replies.popleft() if self.replies else _echo(body)
        if script.status != 200:
            return _problem(script.status, script.detail)
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=_sse(script, str(body.get("model", ""))),
        )


def _echo(body: dict[str, Any]) -> ScriptedReply:
    users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
    words = f"Echo: {users[-1] if users else ''}".split(" ")
    return ScriptedReply(tuple(w if i == 0 else f" {w}" for i, w in enumerate(words)))


def _completion(content: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-harness",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }


def _chunk(model: str, content: str | None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    payload = {
        "id": "chatcmpl-harness",
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


async def _sse(script: ScriptedReply, model: str) -> AsyncIterator[bytes]:
    for piece in script.pieces:
        if script.gap:
            await asyncio.sleep(script.gap)
        yield _chunk(model, piece)
    if script.hang:
        await asyncio.Event().wait()  # until the consumer cancels
    yield _chunk(model, None, "stop")
    yield b"data: [DONE]\n\n"


def _problem(status: int, detail: str) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "application/problem+json"},
        json={"status": status, "title": "Scripted", "detail": detail},
    )


def harness_settings(home: Path, *, config: str = "") -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'user_id = "{USER_ID}"\n{config}', encoding="utf-8")
    os.environ["TZ"] = "UTC"
    time.tzset()
    return load_settings({"AMPREALIZE_HOME": str(home)})


def harness_services(
    home: Path,
    provider: ScriptedProvider,
    *,
    with_key: bool = True,
    config: str = "",
) -> Services:
    services = build_services(
        harness_settings(home, config=config),
        transport=provider.transport(),
        keyring_backend=MemoryKeyring(),
        clock=fixed_clock,
    )
    if with_key:
        services.vault.save("nvidia", FAKE_NVIDIA_KEY)
    return services


def harness_app(
    home: Path,
    provider: ScriptedProvider | None = None,
    *,
    with_key: bool = True,
    config: str = "",
) -> AmprealizeApp:
    provider = provider or ScriptedProvider()
    services = harness_services(home, provider, with_key=with_key, config=config)
    return build_app(services=services, latency_format=pinned_latency, cursor_blink=False)


def seed_conversation(services: Services, title: str, turns: Iterable[tuple[str, str]]) -> str:
    """A conversation with (user text, reply text) turns written straight to the store."""
    conversation = services.store.create_conversation(title=title)
    for question, answer in turns:
        user = services.store.add_message(conversation.id, role=MessageRole.USER, content=question)
        services.store.add_message(
            conversation.id,
            role=MessageRole.ASSISTANT,
            content=answer,
            status=MessageStatus.COMPLETE,
            parent_id=user.id,
        )
    return conversation.id


def chat(app: AmprealizeApp) -> ChatScreen:
    """The app's chat screen (wherever it is in the screen stack)."""
    screen = app.chat
    assert isinstance(screen, ChatScreen)
    return screen


async def submit(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the composer and press enter, as a user sends a message or command."""
    app = pilot.app
    assert isinstance(app, AmprealizeApp)
    chat(app).composer.prompt.insert(text)
    await pilot.press("enter")
    await pilot.pause()
