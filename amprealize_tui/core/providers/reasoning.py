"""Separate inline `<think>...</think>` reasoning from answer text, whole or chunk by chunk.

Thinking models put their reasoning in a `<think>` block before the answer, and some templates
drop the opening tag, so text before a lone `</think>` is reasoning too. While streaming, text
that might still turn out to be reasoning is held back: a possible partial tag always, and for
models that think (hold_limit) up to that many characters of untagged opening text, so a stream
whose opening tag is missing is still split correctly without holding an ordinary answer long.
"""

from __future__ import annotations

from enum import Enum

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class _State(Enum):
    START = "start"  # nothing decided yet
    THINK = "think"  # inside a reasoning block
    ANSWER = "answer"  # everything further is answer text


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a start of `tag` (a tag cut by a chunk)."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkSplitter:
    """Feed content deltas; get (reasoning, text) deltas back. Call `finish()` at the end.

    hold_limit: how many characters of untagged opening text to hold back waiting for a lone
    `</think>`; 0 decides at once (models that do not think), None holds to the end (whole text).
    """

    def __init__(self, hold_limit: int | None = 0) -> None:
        self.hold_limit = hold_limit
        self._state = _State.START
        self._buffer = ""
        self._trim_answer = False  # drop whitespace between </think> and the answer

    def feed(self, content: str) -> tuple[str, str]:
        self._buffer += content
        reasoning, text = "", ""
        if self._state is _State.START:
            self._decide_start()
        if self._state is _State.THINK:
            reasoning, self._buffer = self._take_reasoning(self._buffer)
        if self._state is _State.ANSWER:
            text, self._buffer = self._answer(self._buffer), ""
        return reasoning, text

    def finish(self) -> tuple[str, str]:
        """Flush what is held: an unclosed block is reasoning, undecided text is answer."""
        rest, self._buffer = self._buffer, ""
        if self._state is _State.THINK:
            return rest, ""
        self._state = _State.ANSWER
        return "", self._answer(rest)

    def _decide_start(self) -> None:
        head = self._buffer.lstrip()
        if head.startswith(OPEN_TAG):
            self._state, self._buffer = _State.THINK, head[len(OPEN_TAG) :]
        elif CLOSE_TAG in self._buffer:
            self._state = _State.THINK  # a lone closing tag: what came before was reasoning
        elif OPEN_TAG.startswith(head) or _partial_suffix(self._buffer, CLOSE_TAG):
            return  # could still become a tag
        elif self.hold_limit is None or len(self._buffer) <= self.hold_limit:
            return
        else:
            self._state = _State.ANSWER

    def _take_reasoning(self, buffer: str) -> tuple[str, str]:
        """Reasoning to emit now and what stays buffered; switches to ANSWER at the close tag."""
        end = buffer.find(CLOSE_TAG)
        if end >= 0:
            self._state, self._trim_answer = _State.ANSWER, True
            return buffer[:end], buffer[end + len(CLOSE_TAG) :]
        keep = _partial_suffix(buffer, CLOSE_TAG)
        return buffer[: len(buffer) - keep], buffer[len(buffer) - keep :]

    def _answer(self, text: str) -> str:
        if self._trim_answer:
            text = text.lstrip()
            self._trim_answer = not text
        return text


def split_reasoning(content: str) -> tuple[str, str]:
    """(reasoning, answer) of a whole message's content."""
    splitter = ThinkSplitter(hold_limit=None)
    first = splitter.feed(content)
    last = splitter.finish()
    return first[0] + last[0], first[1] + last[1]
