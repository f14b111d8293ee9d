"""The loopback test server itself: defaults, scripting, recording, cuts and delays."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.loopback_server import LoopbackServer, Reply


def _sse_data(text: str) -> list[str]:
    return [line[len("data: ") :] for line in text.splitlines() if line.startswith("data: ")]


def test_default_echo_json_and_recording(loopback: LoopbackServer) -> None:
    assert loopback.base_url.startswith("http://127.0.0.1:") and loopback.base_url.endswith("/v1")
    body = {"model": "m", "messages": [{"role": "user", "content": "hello there"}]}
    response = httpx.post(
        f"{loopback.base_url}/chat/completions", json=body, headers={"Authorization": "Bearer k"}
    )
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "Echo: hello there"
    recorded = loopback.last_request
    assert (recorded.method, recorded.path) == ("POST", "/v1/chat/completions")
    assert recorded.headers["authorization"] == "Bearer k"
    assert recorded.json == body


def test_default_echo_streams_when_asked(loopback: LoopbackServer) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "a b"}]}
    response = httpx.post(f"{loopback.base_url}/chat/completions", json=body)
    assert response.headers["content-type"] == "text/event-stream"
    data = _sse_data(response.text)
    assert data[-1] == "[DONE]"
    text = "".join(json.loads(d)["choices"][0]["delta"].get("content", "") for d in data[:-1])
    assert text == "Echo: a b"


def test_queue_is_fifo_then_default(loopback: LoopbackServer) -> None:
    loopback.enqueue(
        Reply.problem(429, "slow down", headers={"Retry-After": "1"}), Reply.accepted("r1")
    )
    first = httpx.post(f"{loopback.base_url}/chat/completions", json={})
    assert first.status_code == 429 and first.json()["detail"] == "slow down"
    assert first.headers["retry-after"] == "1"
    second = httpx.get(f"{loopback.base_url}/status/r1")
    assert second.status_code == 202 and second.headers["nvcf-reqid"] == "r1"
    assert loopback.pending == 0
    third = httpx.get(f"{loopback.base_url}/nowhere")
    assert third.status_code == 404
    assert [r.path for r in loopback.requests] == [
        "/v1/chat/completions",
        "/v1/status/r1",
        "/v1/nowhere",
    ]


def test_cut_stream_ends_without_done(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply.stream(["one", "two", "three"], cut_after=2))
    seen: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", f"{loopback.base_url}/chat/completions", json={}) as response,
    ):
        for line in response.iter_lines():
            seen.append(line)
    assert _sse_data("\n".join(seen)) == [
        json.dumps(event) for event in Reply.stream(["one", "two"]).events[:2]
    ]


def test_delay_before_answer(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply.completion("late", delay=0.2))
    started = time.monotonic()
    response = httpx.post(f"{loopback.base_url}/chat/completions", json={})
    assert time.monotonic() - started >= 0.2
    assert response.json()["choices"][0]["message"]["content"] == "late"


def test_close_does_not_wait_for_slow_replies() -> None:
    server = LoopbackServer()
    server.enqueue(Reply.completion("never", delay=30))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.base_url}/chat/completions", json={}, timeout=0.1)
    started = time.monotonic()
    server.close()
    assert time.monotonic() - started < 2


def test_hang_up_sends_nothing(loopback: LoopbackServer) -> None:
    loopback.enqueue(Reply(hang_up=True))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{loopback.base_url}/chat/completions", json={})
    assert len(loopback.requests) == 1
