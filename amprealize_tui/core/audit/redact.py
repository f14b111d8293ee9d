"""Replace anything that looks like a secret with "[REDACTED]" before it reaches the audit log.

What counts as a secret:
- known key shapes: `nvapi-...`, `sk-...` (incl. `sk-ant-`, `sk-proj-`), AWS access key ids
  (`AKIA...`/`ASIA...`), and the token after `Bearer `;
- a generic token: a run of 24+ characters from [A-Za-z0-9_-] that mixes letters and digits and
  holds an unbroken alphanumeric stretch of 12+ characters. The stretch rule keeps model names
  such as `qwen3-coder-480b-a35b-instruct` (short hyphenated parts) while catching random keys;
- every value under a key whose name says it is a secret (`api_key`, `password`, `token`, ...);
- `Secret` objects.
Only the token is replaced; the rest of a longer string is kept. uuid4 tokens, hex or dashed (our
message, conversation and audit ids) are exempt from the generic rule, never from the known
shapes. Masks such as `nvapi-ab••••` survive: they are too short to be keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from amprealize_tui.core.credentials.types import Secret

REDACTED = "[REDACTED]"

_KNOWN_SHAPES = re.compile(
    r"(?<![A-Za-z0-9_-])(?:nvapi-|sk-)[A-Za-z0-9_-]{8,}"
    r"|(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{24,}")
_LONG_STRETCH = re.compile(r"[A-Za-z0-9]{12,}")
_UUID4 = re.compile(
    r"[0-9a-f]{8}(?P<d>-?)[0-9a-f]{4}(?P=d)4[0-9a-f]{3}(?P=d)[89ab][0-9a-f]{3}(?P=d)[0-9a-f]{12}"
)
_SECRET_KEY_NAME = re.compile(
    r"(?i)(api[_-]?key|apikey|password|passwd|secret|authorization|private[_-]?key|token)$"
)


def _looks_random(token: str) -> bool:
    if _UUID4.fullmatch(token):
        return False
    has_letter = any(c.isalpha() for c in token)
    has_digit = any(c.isdigit() for c in token)
    return has_letter and has_digit and _LONG_STRETCH.search(token) is not None


def _generic(match: re.Match[str]) -> str:
    token = match.group(0)
    return REDACTED if _looks_random(token) else token


def redact_text(text: str) -> str:
    """The text with every secret-looking token replaced by [REDACTED]."""
    text = _KNOWN_SHAPES.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _TOKEN.sub(_generic, text)


def redact(value: Any) -> Any:
    """A JSON-ready copy of `value` with secrets replaced, recursing into containers.

    Values that are not JSON types become JSON first (pydantic models via model_dump, enums by
    value, dates as ISO text, non-finite floats and anything else as text), so the audit log
    never fails on an odd metadata value and never writes one unredacted.
    """
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {
            redact_text(str(key)): REDACTED
            if _SECRET_KEY_NAME.search(str(key)) and item is not None
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    if isinstance(value, BaseModel):
        return redact(value.model_dump(mode="json"))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return redact_text(str(value))
