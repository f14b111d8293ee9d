"""ProviderClient.complete over real HTTP: success, each error status, retries, polling, timeouts,
key handling."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from amprealize_tui.core.providers.client import ProviderClient
from amprealize_tui.core.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderModelNotFound,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from tests.loopback_server import LoopbackServer, Reply
from tests.providers_helpers import (
    KEY,
    FakeSleep,
    RecordingReporter,
    closed_port,
    credential,
    make_client,
    model_at,
)

MESSAGES = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def setup() -> AsyncIterator[tuple[ProviderClient, FakeSleep, RecordingReporter]]:
    client, sleep, reporter = make_client()
    yield client, sleep, reporter
    await client.aclose()


async def test_success_sends_the_request_and_parses_the_reply(loopback: LoopbackServer, setup):
    client, _, reporter = setup
    loopback.enqueue(
        Reply.completion(
            "Hi there", usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
        )
    )
    model = model_at(loopback.base_url)
    result = await client.complete(model, credential(), MESSAGES, max_tokens=50)
    assert (result.text, result.finish_reason, result.incomplete) == ("Hi there", "stop", False)
    assert result.usage is not None and result.usage.total_tokens == 5
    request = loopback.last_request
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.json == {
        "model": "deepseek-ai/deepseek-v4-flash",
        "messages": MESSAGES,
        "max_tokens": 50,
        "stream": False,
    }
    assert reporter.reports == [("rec-1", True)]


async def test_max_tokens_is_capped_at_the_model_limit(loopback: LoopbackServer, setup):
    client, _, _ = setup
    model = model_at(loopback.base_url, max_output_tokens=100)
    await client.complete(model, credential(), MESSAGES, max_tokens=10_000)
    assert loopback.last_request.json["max_tokens"] == 100
    with pytest.raises(ValueError, match="max_tokens must be at least 1"):
        await client.complete(model, credential(), MESSAGES, max_tokens=0)


async def test_reasoning_fields_and_think_tags_are_separated(loopback: LoopbackServer, setup):
    client, _, _ = setup
    model = model_at(loopback.base_url)
    loopback.enqueue(
        Reply.completion("Answer A", reasoning_content="thought A"),
        Reply.completion("Answer B", reasoning="thought B"),
        Reply.completion("<think>thought C</think>\n\nAnswer C"),
        Reply.completion("thought D</think>Answer D"),
    )
    results = [await client.complete(model, credential(), MESSAGES) for _ in range(4)]
    assert [(r.reasoning, r.text) for r in results] == [
        ("thought A", "Answer A"),
        ("thought B", "Answer B"),
        ("thought C", "Answer C"),
        ("thought D", "Answer D"),
    ]


async def test_400_quotes_the_problem_detail_and_is_not_retried(loopback: LoopbackServer, setup):
    client, sleep, _ = setup
    loopback.enqueue(Reply.problem(400, "messages[0].role must be one of user, assistant"))
    with pytest.raises(ProviderHTTPError) as caught:
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert caught.value.status == 400
    assert "NVIDIA refused the request (400)" in str(caught.value)
    assert "messages[0].role must be one of user, assistant" in str(caught.value)
    assert len(loopback.requests) == 1 and sleep.delays == []


async def test_openai_style_error_message_is_quoted(loopback: LoopbackServer, setup):
    client, _, _ = setup
    loopback.enqueue(Reply(status=422, json={"error": {"message": "temperature out of range"}}))
    with pytest.raises(ProviderHTTPError, match="temperature out of range"):
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_is_reported_and_actionable(loopback: LoopbackServer, setup, status):
    client, sleep, reporter = setup
    loopback.enqueue(Reply.problem(status, "Authentication failed", title="Unauthorized"))
    with pytest.raises(ProviderAuthError) as caught:
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    message = str(caught.value)
    assert message.startswith(f"NVIDIA rejected the API key ({status}): check or replace it")
    assert "Authentication failed" in message
    assert caught.value.status == status and caught.value.retryable is False
    assert reporter.reports == [("rec-1", False)]
    assert len(loopback.requests) == 1 and sleep.delays == []


async def test_404_is_model_not_found(loopback: LoopbackServer, setup):
    client, _, _ = setup
    loopback.enqueue(Reply.problem(404, "Function not found for account"))
    with pytest.raises(ProviderModelNotFound) as caught:
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert "DeepSeek V4 Flash (deepseek-ai/deepseek-v4-flash)" in str(caught.value)
    assert "Function not found for account" in str(caught.value)
    assert len(loopback.requests) == 1


async def test_429_honours_retry_after_then_succeeds(loopback: LoopbackServer, setup):
    client, sleep, _ = setup
    loopback.enqueue(
        Reply.problem(429, "Too many requests", headers={"Retry-After": "2"}),
        Reply.problem(429, "Too many requests", headers={"Retry-After": "3600"}),
        Reply.completion("finally"),
    )
    result = await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert result.text == "finally"
    assert sleep.delays == [2.0, 30.0]  # the second is capped at max_retry_after
    assert len(loopback.requests) == 3


async def test_429_without_retry_after_backs_off_then_gives_up(loopback: LoopbackServer, setup):
    client, sleep, _ = setup
    loopback.enqueue(*[Reply.problem(429, "Too many requests")] * 4)
    with pytest.raises(ProviderRateLimited) as caught:
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert caught.value.status == 429 and "4 attempt(s)" in str(caught.value)
    assert len(loopback.requests) == 4
    assert len(sleep.delays) == 3
    for attempt, delay in enumerate(sleep.delays):
        ceiling = min(8.0, 0.5 * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_retried_then_succeeds(loopback: LoopbackServer, setup, status):
    client, sleep, _ = setup
    loopback.enqueue(Reply.problem(status, "upstream hiccup"), Reply.completion("ok"))
    result = await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert result.text == "ok" and len(sleep.delays) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_gives_up_after_bounded_retries(loopback: LoopbackServer, status):
    client, sleep, _ = make_client(max_retries=2)
    loopback.enqueue(*[Reply.problem(status, "upstream down")] * 3)
    try:
        with pytest.raises(ProviderHTTPError) as caught:
            await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    finally:
        await client.aclose()
    assert caught.value.status == status
    assert f"server error ({status}) on 3 attempt(s)" in str(caught.value)
    assert "upstream down" in str(caught.value)
    assert len(loopback.requests) == 3 and len(sleep.delays) == 2


async def test_202_is_polled_until_the_answer(loopback: LoopbackServer, setup):
    client, sleep, _ = setup
    loopback.enqueue(Reply.accepted("req-7"), Reply.accepted("req-7"), Reply.completion("done"))
    result = await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert result.text == "done"
    assert [(r.method, r.path) for r in loopback.requests] == [
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/status/req-7"),
        ("GET", "/v1/status/req-7"),
    ]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in loopback.requests)
    assert sleep.delays == [1.0, 1.0]


async def test_poll_url_is_configurable(loopback: LoopbackServer):
    client, _, _ = make_client(poll_url=loopback.origin + "/nvcf/pexec/status/{request_id}")
    loopback.enqueue(Reply.accepted("abc"), Reply.completion("polled"))
    try:
        result = await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    finally:
        await client.aclose()
    assert result.text == "polled"
    assert loopback.requests[1].path == "/nvcf/pexec/status/abc"


async def test_202_without_request_id_or_forever_fails_clearly(loopback: LoopbackServer):
    client, _, _ = make_client(read_timeout=3.0, poll_interval=1.0)
    model = model_at(loopback.base_url)
    loopback.enqueue(Reply(status=202))
    try:
        with pytest.raises(ProviderHTTPError, match="without a request id"):
            await client.complete(model, credential(), MESSAGES)
        loopback.enqueue(*[Reply.accepted("slow")] * 10)
        with pytest.raises(ProviderTimeout, match="queued for more than 3s"):
            await client.complete(model, credential(), MESSAGES)
    finally:
        await client.aclose()
    assert len(loopback.requests) == 1 + 4  # the POST and three polls within 3 s of waiting


async def test_connection_refused_is_unavailable():
    client, _, _ = make_client()
    model = model_at(f"http://127.0.0.1:{closed_port()}/v1")
    try:
        with pytest.raises(ProviderUnavailable, match="Cannot connect to NVIDIA at http://127"):
            await client.complete(model, credential(), MESSAGES)
    finally:
        await client.aclose()


async def test_connect_timeout_is_a_timeout():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    client, _, _ = make_client(transport=httpx.MockTransport(refuse))
    try:
        with pytest.raises(ProviderTimeout, match=r"Connecting to NVIDIA .* timed out") as caught:
            await client.complete(model_at("http://127.0.0.1:9/v1"), credential(), MESSAGES)
    finally:
        await client.aclose()
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_read_timeout_is_a_timeout(loopback: LoopbackServer):
    client, _, _ = make_client(read_timeout=0.1)
    loopback.enqueue(Reply.completion("too late", delay=1.0))
    started = time.monotonic()
    try:
        with pytest.raises(ProviderTimeout, match=r"did not answer within 0.1s"):
            await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    finally:
        await client.aclose()
    assert time.monotonic() - started < 0.9


async def test_a_long_read_timeout_waits_for_a_slow_reply(loopback: LoopbackServer, setup):
    client, _, _ = setup  # read_timeout 5 s
    loopback.enqueue(Reply.completion("worth the wait", delay=0.3))
    result = await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert result.text == "worth the wait"


async def test_non_json_success_body_is_an_http_error(loopback: LoopbackServer, setup):
    client, _, _ = setup
    loopback.enqueue(Reply(body=b"<html>gateway</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(ProviderHTTPError, match="not JSON"):
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)


async def test_no_request_without_a_key_for_a_provider_that_needs_one(
    loopback: LoopbackServer, setup
):
    client, _, _ = setup
    with pytest.raises(ProviderUnavailable, match="No API key for NVIDIA"):
        await client.complete(model_at(loopback.base_url), None, MESSAGES)
    with pytest.raises(ProviderUnavailable, match="A OpenAI key cannot be sent to NVIDIA"):
        await client.complete(model_at(loopback.base_url), credential("openai"), MESSAGES)
    assert loopback.requests == []


async def test_keyless_endpoint_sends_no_authorization(loopback: LoopbackServer, setup):
    client, _, reporter = setup
    model = model_at(loopback.base_url, provider="local", requires_key=False)
    result = await client.complete(model, None, MESSAGES)
    assert result.text == "Echo: hello"
    assert "authorization" not in loopback.last_request.headers
    assert reporter.reports == []


async def test_the_key_never_appears_in_logs_errors_or_reprs(
    loopback: LoopbackServer, setup, caplog: pytest.LogCaptureFixture
):
    client, _, _ = setup
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore and our logger all at DEBUG
    model = model_at(loopback.base_url)
    cred = credential()
    loopback.enqueue(
        Reply.completion("fine"),
        Reply.problem(401, f"Key {KEY} is not valid"),  # a server that echoes the key
        Reply.problem(429, "slow"),
        Reply.problem(500, f"trace: Authorization: Bearer {KEY}"),
    )
    await client.complete(model, cred, MESSAGES)
    client.max_retries = 0
    errors: list[ProviderError] = []
    for _ in range(3):
        with pytest.raises(ProviderError) as caught:
            await client.complete(model, cred, MESSAGES)
        errors.append(caught.value)
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert loopback.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in caplog.text
    assert "nvapi-TE••••" in str(errors[0])  # the echoed key is masked
    for error in errors:
        assert KEY not in str(error) and KEY not in repr(error)
        assert error.__cause__ is None
    assert KEY not in repr(cred) and KEY not in repr(model)


async def test_a_dropped_connection_is_retried_then_reported(loopback: LoopbackServer, setup):
    client, sleep, _ = setup
    loopback.enqueue(Reply(hang_up=True), Reply.completion("second try"))
    result = await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert result.text == "second try" and len(sleep.delays) == 1
    loopback.enqueue(*[Reply(hang_up=True)] * 4)
    with pytest.raises(ProviderUnavailable, match="dropped"):
        await client.complete(model_at(loopback.base_url), credential(), MESSAGES)
    assert len(loopback.requests) == 2 + 4
