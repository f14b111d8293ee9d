"""ProviderClient.stream over real HTTP/SSE: deltas, reasoning, cuts, errors, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from amprealize_tui.core.providers.client import CompletionStream, ProviderClient
from amprealize_tui.core.providers.errors import ProviderAuthError, ProviderUnavailable
from amprealize_tui.core.providers.results import StreamChunk
from tests.loopback_server import LoopbackServer, Reply, chunk
from tests.providers_helpers import credential, make_client, model_at

MESSAGES = [{"role": "user", "content": "hello there"}]


@pytest.fixture
async def client() -> AsyncIterator[ProviderClient]:
    client, _, _ = make_client()
    yield client
    await client.aclose()


async def _drain(stream: CompletionStream) -> list[StreamChunk]:
    async with stream:
        return [c async for c in stream]


async def test_streams_the_default_echo(loopback: LoopbackServer, client: ProviderClient):
    model = model_at(loopback.base_url, supports_reasoning=False)
    stream = client.stream(model, credential(), MESSAGES)
    chunks = await _drain(stream)
    assert [c.text for c in chunks] == ["Echo:", " hello", " there"]
    result = stream.result
    assert (result.text, result.finish_reason, result.incomplete) == (
        "Echo: hello there",
        "stop",
        False,
    )
    assert result.interruption is None
    request = loopback.last_request
    assert request.json["stream"] is True and request.json["stream_options"] == {
        "include_usage": True
    }
    assert request.headers["accept"] == "text/event-stream"


async def test_usage_from_the_final_chunk(loopback: LoopbackServer, client: ProviderClient):
    usage = {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    loopback.enqueue(Reply.stream(["a", "b"], usage=usage))
    stream = client.stream(model_at(loopback.base_url), credential(), MESSAGES)
    await _drain(stream)
    assert stream.result.usage is not None and stream.result.usage.total_tokens == 6


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_field_deltas(loopback: LoopbackServer, client: ProviderClient, field):
    events = [chunk(**{field: "think "}), chunk(**{field: "hard"}), chunk("Ans"), chunk("wer")]
    loopback.enqueue(Reply(events=[*events, chunk(finish_reason="stop")]))
    stream = client.stream(model_at(loopback.base_url), credential(), MESSAGES)
    chunks = await _drain(stream)
    assert [(c.reasoning, c.text) for c in chunks] == [
        ("think ", ""),
        ("hard", ""),
        ("", "Ans"),
        ("", "wer"),
    ]
    assert (stream.result.reasoning, stream.result.text) == ("think hard", "Answer")


async def test_think_tags_split_across_chunks(loopback: LoopbackServer, client: ProviderClient):
    pieces = ["<th", "ink>plan", " more</th", "ink>\n\nAns", "wer"]
    loopback.enqueue(Reply.stream(pieces))
    model = model_at(loopback.base_url, supports_reasoning=False)
    stream = client.stream(model, credential(), MESSAGES)
    chunks = await _drain(stream)
    assert "".join(c.reasoning for c in chunks) == "plan more"
    assert "".join(c.text for c in chunks) == "Answer"
    assert all("<" not in c.text + c.reasoning for c in chunks)
    assert (stream.result.reasoning, stream.result.text) == ("plan more", "Answer")


async def test_lone_closing_tag_makes_earlier_text_reasoning(
    loopback: LoopbackServer, client: ProviderClient
):
    """A thinking model whose template drops the opening tag: its reasoning streams as answer
    text at first (ordinary answers must not wait), then the lone </think> restarts the answer."""
    loopback.enqueue(Reply.stream(["plan ", "it", "</thi", "nk>Ans", "wer"]))
    stream = client.stream(model_at(loopback.base_url), credential(), MESSAGES)
    chunks = await _drain(stream)
    assert chunks == [
        StreamChunk(text="plan "),
        StreamChunk(text="it"),  # "</thi" is held: it may be (and is) part of a tag
        StreamChunk(text="Ans", reasoning="plan it", restart=True),
        StreamChunk(text="wer"),
    ]
    assert (stream.result.reasoning, stream.result.text) == ("plan it", "Answer")


async def test_a_model_that_does_not_think_streams_at_once(
    loopback: LoopbackServer, client: ProviderClient
):
    loopback.enqueue(Reply.stream(["Hello", " world"]))
    model = model_at(loopback.base_url, supports_reasoning=False)
    chunks = await _drain(client.stream(model, credential(), MESSAGES))
    assert [c.text for c in chunks] == ["Hello", " world"]


async def test_a_thinking_model_without_tags_still_answers(
    loopback: LoopbackServer, client: ProviderClient
):
    answer = ["word " * 20] * 30  # 3,000 characters, no tags
    loopback.enqueue(Reply.stream(answer))
    stream = client.stream(model_at(loopback.base_url), credential(), MESSAGES)
    chunks = await _drain(stream)
    assert [c.text for c in chunks] == answer  # never held: every piece shows as it arrives
    assert not any(c.restart for c in chunks)
    assert stream.result.reasoning == "" and not stream.result.incomplete


async def test_a_cut_stream_keeps_the_partial_text(
    loopback: LoopbackServer, client: ProviderClient
):
    loopback.enqueue(Reply.stream(["Hel", "lo", " wor", "ld"], cut_after=2))
    model = model_at(loopback.base_url, supports_reasoning=False)
    stream = client.stream(model, credential(), MESSAGES)
    chunks = await _drain(stream)
    assert "".join(c.text for c in chunks) == "Hello"
    result = stream.result
    assert result.incomplete and result.text == "Hello" and result.finish_reason is None
    assert result.interruption is not None and "partial reply was kept" in result.interruption


async def test_end_of_stream_without_done(loopback: LoopbackServer, client: ProviderClient):
    model = model_at(loopback.base_url, supports_reasoning=False)
    loopback.enqueue(
        Reply(events=[chunk("half")], done=False),
        Reply(events=[chunk("whole"), chunk(finish_reason="stop")], done=False),
    )
    first = client.stream(model, credential(), MESSAGES)
    await _drain(first)
    assert first.result.incomplete and first.result.text == "half"
    assert "ended before the reply finished" in (first.result.interruption or "")
    second = client.stream(model, credential(), MESSAGES)
    await _drain(second)
    assert not second.result.incomplete and second.result.text == "whole"


async def test_mid_stream_error_event_keeps_text(loopback: LoopbackServer, client: ProviderClient):
    loopback.enqueue(Reply(events=[chunk("partial"), {"error": {"message": "worker lost"}}]))
    model = model_at(loopback.base_url, supports_reasoning=False)
    stream = client.stream(model, credential(), MESSAGES)
    await _drain(stream)
    assert stream.result.incomplete and stream.result.text == "partial"
    assert "worker lost" in (stream.result.interruption or "")


async def test_errors_before_any_text_raise(loopback: LoopbackServer, client: ProviderClient):
    model = model_at(loopback.base_url)
    loopback.enqueue(Reply.problem(401, "bad key"))
    with pytest.raises(ProviderAuthError):
        await _drain(client.stream(model, credential(), MESSAGES))
    loopback.enqueue(Reply.stream(["never"], cut_after=0))
    with pytest.raises(ProviderUnavailable, match="dropped"):
        await _drain(client.stream(model, credential(), MESSAGES))


async def test_202_then_a_json_answer_streams_as_one_chunk(
    loopback: LoopbackServer, client: ProviderClient
):
    loopback.enqueue(Reply.accepted("q1"), Reply.completion("<think>hm</think>queued answer"))
    stream = client.stream(model_at(loopback.base_url), credential(), MESSAGES)
    chunks = await _drain(stream)
    assert chunks == [StreamChunk(text="queued answer", reasoning="hm")]
    assert not stream.result.incomplete


async def test_cancelling_the_consumer_closes_the_stream(
    loopback: LoopbackServer, client: ProviderClient
):
    loopback.enqueue(Reply.stream([f"w{i} " for i in range(50)], event_delay=0.05))
    model = model_at(loopback.base_url, supports_reasoning=False)
    stream = client.stream(model, credential(), MESSAGES)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in stream:
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    partial = stream.result
    assert partial.incomplete and partial.text.startswith("w0 ")
    assert len(partial.text.split()) < 50
    # The connection was released: the next call on the same client goes through at once.
    result = await asyncio.wait_for(client.complete(model, credential(), MESSAGES), 2)
    assert result.text == "Echo: hello there"
