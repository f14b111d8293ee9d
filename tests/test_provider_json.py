"""The routing JSON completer and key verification over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from amprealize_tui.core.providers.client import MAX_JSON_BYTES, ProviderClient
from amprealize_tui.core.providers.errors import (
    ProviderOutputTooLarge,
    ProviderRateLimited,
    ProviderTimeout,
)
from amprealize_tui.core.providers.results import VerifyStatus
from tests.loopback_server import LoopbackServer, Reply
from tests.providers_helpers import (
    KEY,
    RecordingReporter,
    closed_port,
    credential,
    make_client,
    model_at,
)

SCHEMA = {
    "type": "object",
    "properties": {"candidates": {"type": "array"}},
    "required": ["candidates"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "system", "content": "route"}, {"role": "user", "content": "plan it"}]


@pytest.fixture
async def setup() -> AsyncIterator[tuple[ProviderClient, RecordingReporter]]:
    client, _, reporter = make_client()
    yield client, reporter
    await client.aclose()


async def test_json_request_asks_for_strict_schema_output(loopback: LoopbackServer, setup):
    client, _ = setup
    answer = json.dumps({"candidates": []})
    loopback.enqueue(Reply.completion(f"<think>which action?</think>{answer}"))
    completer = client.json_completer(model_at(loopback.base_url), credential())
    text = await completer.complete_json(MESSAGES, SCHEMA, 2.0)
    assert text == answer  # reasoning removed
    body = loopback.last_request.json
    assert body == {
        "model": "deepseek-ai/deepseek-v4-flash",
        "messages": MESSAGES,
        "stream": False,
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "chat_route", "schema": SCHEMA, "strict": True},
        },
    }
    assert loopback.last_request.headers["authorization"] == f"Bearer {KEY}"


async def test_routing_budget_times_out_while_a_reply_waits(loopback: LoopbackServer, setup):
    client, _ = setup  # read_timeout 5 s for replies
    model = model_at(loopback.base_url)
    loopback.enqueue(Reply.completion("{}", delay=0.6), Reply.completion("slow reply", delay=0.6))
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match=r"routing budget of 0\.1s"):
        await client.json_completer(model, credential()).complete_json(MESSAGES, SCHEMA, 0.1)
    assert time.monotonic() - started < 0.5
    result = await client.complete(model, credential(), MESSAGES)
    assert result.text == "slow reply"


async def test_budget_covers_retries_and_polling(loopback: LoopbackServer):
    client, _, _ = make_client(poll_interval=0.05, sleep=asyncio.sleep)  # real sleeps
    loopback.enqueue(*[Reply.accepted("r")] * 40)
    completer = client.json_completer(model_at(loopback.base_url), credential())
    started = time.monotonic()
    try:
        with pytest.raises(ProviderTimeout):
            await completer.complete_json(MESSAGES, SCHEMA, 0.3)
    finally:
        await client.aclose()
    assert time.monotonic() - started < 1.0


async def test_rate_limit_is_not_retried_for_routing(loopback: LoopbackServer, setup):
    client, _ = setup
    loopback.enqueue(Reply.problem(429, "slow down", headers={"Retry-After": "5"}))
    completer = client.json_completer(model_at(loopback.base_url), credential())
    with pytest.raises(ProviderRateLimited):
        await completer.complete_json(MESSAGES, SCHEMA, 2.0)
    assert len(loopback.requests) == 1


async def test_oversized_json_answer_is_refused(loopback: LoopbackServer, setup):
    client, _ = setup
    loopback.enqueue(Reply.completion('{"candidates": ["' + "x" * MAX_JSON_BYTES + '"]}'))
    completer = client.json_completer(model_at(loopback.base_url), credential())
    with pytest.raises(ProviderOutputTooLarge, match="more than 256 KiB"):
        await completer.complete_json(MESSAGES, SCHEMA, 5.0)


@pytest.mark.parametrize(
    ("reply", "status", "http_status"),
    [
        (Reply.completion("p"), VerifyStatus.VALID, 200),
        (Reply.problem(401, "bad key"), VerifyStatus.INVALID, 401),
        (Reply.problem(403, "no access"), VerifyStatus.INVALID, 403),
        (Reply.problem(404, "not for you"), VerifyStatus.MODEL_NOT_SERVED, 404),
        (Reply.problem(429, "busy"), VerifyStatus.INCONCLUSIVE, 429),
        (Reply.problem(503, "down"), VerifyStatus.INCONCLUSIVE, 503),
    ],
)
async def test_verify_key(loopback: LoopbackServer, setup, reply, status, http_status):
    client, reporter = setup
    loopback.enqueue(reply)
    result = await client.verify_key(model_at(loopback.base_url), credential())
    assert (result.status, result.http_status) == (status, http_status)
    assert result.ok is (status is VerifyStatus.VALID)
    assert len(loopback.requests) == 1  # no retries
    assert loopback.last_request.json["max_tokens"] == 1
    assert reporter.reports == []  # the caller decides what a verdict does to the key
    if status is VerifyStatus.INVALID:
        assert "rejected the API key" in result.message
    if status is VerifyStatus.INCONCLUSIVE:
        assert result.message.startswith("Could not tell whether the key is valid")


async def test_verify_key_cannot_connect_is_inconclusive(setup):
    client, _ = setup
    model = model_at(f"http://127.0.0.1:{closed_port()}/v1")
    result = await client.verify_key(model, credential())
    assert result.status is VerifyStatus.INCONCLUSIVE and "Cannot connect" in result.message
