"""Spot provider keys pasted into chat text, so they are never stored or sent to a model."""

from __future__ import annotations

import re

from amprealize_tui.core.credentials.masking import mask_key

# Known provider key shapes with enough random tail that prose does not match.
_PASTED_KEY = re.compile(
    r"(?<![A-Za-z0-9_-])(?:nvapi-|sk-ant-|sk-proj-|sk-)[A-Za-z0-9_-]{20,}"
    r"|(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"
)


def find_pasted_key(text: str) -> str | None:
    """The mask of the first API key found in `text`, or None."""
    match = _PASTED_KEY.search(text)
    return mask_key(match.group(0)) if match else None
