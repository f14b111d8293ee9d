"""Search hits for the TUI: titles attached, excerpts one safe line around the first match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amprealize_tui.core.conversations.models import MessageRole
from amprealize_tui.core.conversations.search import EXCERPT_WIDTH, excerpt, find_messages
from amprealize_tui.core.conversations.store import ConversationStore


@pytest.fixture
def store() -> ConversationStore:
    return ConversationStore(":memory:")


def test_hits_carry_their_conversation_titles_newest_first(store: ConversationStore) -> None:
    first = store.create_conversation(title="airships")
    second = store.create_conversation(title="trains")
    store.add_message(first.id, role=MessageRole.USER, content="tell me about zeppelins")
    store.add_message(second.id, role=MessageRole.ASSISTANT, content="Zeppelins were rigid")
    store.add_message(second.id, role=MessageRole.USER, content="and steam engines?")
    hits = find_messages(store, "zeppelin")
    assert [(h.conversation_title, h.role) for h in hits] == [
        ("trains", MessageRole.ASSISTANT),
        ("airships", MessageRole.USER),
    ]
    assert hits[0].excerpt == "Zeppelins were rigid"
    assert find_messages(store, "   ") == []


def test_excerpt_starts_near_the_match_on_a_word_boundary() -> None:
    text = " ".join(f"word{i}" for i in range(40)) + " the zeppelin landed " + "tail " * 40
    line = excerpt(text, "zeppelin")
    assert line.startswith("…word")
    assert "the zeppelin landed" in line
    assert line.endswith("…") and EXCERPT_WIDTH - 2 <= len(line) <= EXCERPT_WIDTH
    assert line.index("zeppelin") <= 30  # a little context before the match, not a screenful


def test_excerpt_without_a_visible_match_starts_at_the_beginning() -> None:
    assert excerpt("short text", "nothing") == "short text"
    assert excerpt("(parenthesised) words", "(paren") == "(parenthesised) words"


def test_excerpt_is_one_terminal_safe_line() -> None:
    hostile = "line one\n\x1b]52;c;ZXZpbA==\x07\x1b[2Jline\ttwo\r\n\x9bthree"
    assert excerpt(hostile, "two") == "line one line two three"


@given(st.text(max_size=400), st.text(max_size=40))
def test_excerpt_is_always_bounded_and_single_line(text: str, query: str) -> None:
    line = excerpt(text, query)
    assert len(line) <= EXCERPT_WIDTH
    assert "\n" not in line and "\x1b" not in line
