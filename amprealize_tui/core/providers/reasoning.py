"""Separate inline `<think>...</think>` reasoning from answer text, whole or chunk by chunk.

Thinking models put their reasoning in a `<think>` block before the answer, and some templates
drop the opening tag, so text before a lone `</think>` is reasoning too. While streaming, a
possible partial tag is always held back. For a whole message (`hold_all`) untagged text waits
for the end; a live stream of a thinking model passes it on at once as provisional answer text
(`provisional_limit`): if a lone `</think>` follows within that many characters, the splitter
says the answer restarts, and what was shown is reasoning after all. Ordinary answers stream
without delay; the rare template without an opening tag costs a visible correction.
"""

from __future__ import annotations

from enum import Enum

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class _State(Enum):
    START = "start"  # nothing decided yet
    THINK = "think"  # inside a reasoning block
    PROVISIONAL = "provisional"  # untagged text passed on as answer until a lone </think>
    ANSWER = "answer"  # everything further is answer text


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a start of `tag` (a tag cut by a chunk)."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkSplitter:
    """Feed content deltas; get (reasoning, text) deltas back. Call `finish()` at the end.

    By default untagged text is answer at once (models that do not think). hold_all: hold it to
    the end, for a whole message. provisional_limit: pass up to that many characters on as
    answer text, then commit; a lone `</think>` among them sets `restarted` (see `feed`).
    """

    def __init__(self, *, hold_all: bool = False, provisional_limit: int = 0) -> None:
        self.hold_all = hold_all
        self.provisional_limit = provisional_limit
        self.restarted = False
        self._state = _State.START
        self._buffer = ""
        self._shown = ""  # provisional answer text passed on so far
        self._trim_answer = False  # drop whitespace between </think> and the answer

    def feed(self, content: str) -> tuple[str, str]:
        """(reasoning, text) deltas for `content`. When `restarted` is then True, the answer
        text given out so far was reasoning: drop it; it is at the start of this reasoning."""
        self._buffer += content
        self.restarted = False
        reasoning, text = "", ""
        if self._state is _State.START:
            self._decide_start()
        if self._state is _State.PROVISIONAL:
            text = self._take_provisional()
        if self._state is _State.THINK:
            reasoning, self._buffer = self._take_reasoning(self._buffer)
            if self.restarted:
                reasoning = self._shown + reasoning
                self._shown = ""
        if self._state is _State.ANSWER:
            text, self._buffer = text + self._answer(self._buffer), ""
        return reasoning, text

    def content_is_answer(self) -> None:
        """The reasoning has its own field: content is answer text from now on."""
        self.provisional_limit = 0
        if self._state is _State.PROVISIONAL:
            self._state = _State.ANSWER

    def finish(self) -> tuple[str, str]:
        """Flush what is held: an unclosed block is reasoning, undecided text is answer."""
        rest, self._buffer = self._buffer, ""
        self.restarted = False
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
        elif OPEN_TAG.startswith(head):
            return  # could still become an opening tag
        elif self.provisional_limit:
            self._state, self._shown = _State.PROVISIONAL, ""
        elif _partial_suffix(self._buffer, CLOSE_TAG):
            return  # could still become a closing tag
        elif not self.hold_all:
            self._state = _State.ANSWER

    def _take_provisional(self) -> str:
        """Answer text to pass on now; on a lone </think>, switch to THINK and restart."""
        if CLOSE_TAG in self._buffer:
            self._state, self.restarted = _State.THINK, True
            return ""
        keep = _partial_suffix(self._buffer, CLOSE_TAG)
        text = self._buffer[: len(self._buffer) - keep]
        self._buffer = self._buffer[len(self._buffer) - keep :]
        self._shown += text
        if len(self._shown) > self.provisional_limit:
            self._state, self._shown = _State.ANSWER, ""  # too long to be a lost <think>
        return text

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
    splitter = ThinkSplitter(hold_all=True)
    first = splitter.feed(content)
    last = splitter.finish()
    return first[0] + last[0], first[1] + last[1]
