"""What the provider client returns: completions, stream chunks, key verification results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def parse(cls, raw: Any) -> Usage | None:
        if not isinstance(raw, Mapping):
            return None
        values = [raw.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return None
        return cls(*values)


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished (or cut) answer. `text` is the answer with reasoning removed.

    incomplete: the stream ended before the provider said it was done (connection dropped,
    read timeout mid-stream); `text` holds what arrived and `interruption` says what happened.
    """

    text: str
    reasoning: str = ""
    finish_reason: str | None = None
    incomplete: bool = False
    usage: Usage | None = None
    interruption: str | None = None


@dataclass(frozen=True, slots=True)
class StreamChunk:
    """Deltas of a streamed answer: answer text and reasoning, either possibly empty.

    `restart`: the answer text streamed so far was reasoning after all (a thinking model that
    left out its opening <think> tag); drop it, `text` starts the answer again."""

    text: str = ""
    reasoning: str = ""
    restart: bool = False


class VerifyStatus(StrEnum):
    VALID = "valid"
    INVALID = "invalid"  # 401/403
    MODEL_NOT_SERVED = "model_not_served"  # 404
    INCONCLUSIVE = "inconclusive"  # 429, 5xx, network, timeout


@dataclass(frozen=True, slots=True)
class VerifyResult:
    status: VerifyStatus
    message: str
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is VerifyStatus.VALID
