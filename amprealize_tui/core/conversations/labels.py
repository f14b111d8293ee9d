"""How a reply's stored metadata reads in a few words: which router decided, which key paid.

One wording for the badge row, the `ask` transcript and the Markdown export.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def route_source(route: Mapping[str, Any]) -> str | None:
    """'deterministic', or 'deterministic (hybrid)' when another mode was asked for."""
    produced, requested = route.get("route_mode"), route.get("requested_mode")
    if not produced:
        return None
    return produced if not requested or requested == produced else f"{produced} ({requested})"


def credential_label(metadata: Mapping[str, Any]) -> str | None:
    """'BYOK user', 'BYOK project', 'platform key', 'no key (local)'; None if no model ran."""
    scope = metadata.get("credential_scope")
    if not scope:
        return None
    if scope == "platform":
        return "platform key"
    if scope == "none":
        return "no key (local)"
    return f"BYOK {scope}"
