"""Inline <think> splitting and the SSE parser, without HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from amprealize_tui.core.providers.reasoning import ThinkSplitter, split_reasoning
from amprealize_tui.core.providers.sse import iter_sse_data


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<think>a b</think>\n\nAnswer", ("a b", "Answer")),
        ("  <think>x</think>y", ("x", "y")),
        ("reasoning only here</think>Answer", ("reasoning only here", "Answer")),
        ("Just an answer", ("", "Just an answer")),
        ("<think>cut off", ("cut off", "")),
        ("", ("", "")),
        ("a < b and c > d", ("", "a < b and c > d")),
    ],
)
def test_split_reasoning(content: str, expected: tuple[str, str]) -> None:
    assert split_reasoning(content) == expected


def _feed_all(splitter: ThinkSplitter, pieces: list[str]) -> list[tuple[str, str]]:
    return [splitter.feed(p) for p in pieces] + [splitter.finish()]


def test_splitter_holds_a_partial_tag_and_nothing_else() -> None:
    steps = _feed_all(ThinkSplitter(), ["<th", "ink>ab", "c</th", "ink>\n", "\nAns", "wer"])
    assert steps == [("", ""), ("ab", ""), ("c", ""), ("", ""), ("", "Ans"), ("", "wer"), ("", "")]


def test_splitter_without_hold_emits_plain_text_at_once() -> None:
    assert _feed_all(ThinkSplitter(), ["Hi", " you"]) == [("", "Hi"), ("", " you"), ("", "")]


def test_provisional_text_streams_and_a_lone_close_restarts_the_answer() -> None:
    splitter = ThinkSplitter(provisional_limit=100)
    assert splitter.feed("plan") == ("", "plan") and not splitter.restarted
    assert splitter.feed(" more</th") == ("", " more")  # the partial tag is held
    assert splitter.feed("ink>\n\ngo") == ("plan more", "go") and splitter.restarted
    assert splitter.feed(" on") == ("", " on") and not splitter.restarted
    assert splitter.finish() == ("", "")


def test_provisional_text_past_the_limit_is_an_answer_for_good() -> None:
    splitter = ThinkSplitter(provisional_limit=10)
    assert splitter.feed("a long answer, surely") == ("", "a long answer, surely")
    assert splitter.feed(" see </think> here") == ("", " see </think> here")
    assert not splitter.restarted


def test_a_reasoning_field_ends_provisional_text() -> None:
    splitter = ThinkSplitter(provisional_limit=100)
    assert splitter.feed("Answer ") == ("", "Answer ")
    splitter.content_is_answer()
    assert splitter.feed("about </think> tags") == ("", "about </think> tags")
    assert not splitter.restarted


def test_splitter_finish_flushes_undecided_text_as_answer() -> None:
    splitter = ThinkSplitter(hold_all=True)
    assert splitter.feed("all of it") == ("", "")
    assert splitter.finish() == ("", "all of it")


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def test_sse_data_events() -> None:
    lines = _lines(
        ": keep-alive",
        "event: message",
        'data: {"a": 1}',
        "",
        "data: line one",
        "data:line two",
        "id: 7",
        "",
        "",
        "data: [DONE]",
    )
    assert [d async for d in iter_sse_data(lines)] == ['{"a": 1}', "line one\nline two", "[DONE]"]
