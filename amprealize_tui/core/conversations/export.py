"""A conversation as a Markdown document: every message in order, and under each reply or
governance notice the line that says how it was routed and governed, as the badges do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from amprealize_tui.core.conversations.labels import credential_label, route_source
from amprealize_tui.core.conversations.models import (
    Conversation,
    Message,
    MessageRole,
    MessageStatus,
)
from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text
from amprealize_tui.core.conversations.store import ConversationStore

_PAGE = 500
_NOTICE_LABELS = {
    "denial": "denied",
    "approval": "approval",
    "clarification": "which did you mean?",
    "error": "error",
}


def all_messages(store: ConversationStore, conversation_id: str) -> Iterator[Message]:
    """Every message of the conversation, oldest first, read a page at a time."""
    pages: list[list[Message]] = []
    before: str | None = None
    while page := store.messages_page(conversation_id, limit=_PAGE, before=before):
        pages.append(page)
        before = page[-1].id
    for page in reversed(pages):
        yield from reversed(page)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def route_line(metadata: dict[str, Any], model_name: Callable[[str], str]) -> str:
    """How a reply or notice was routed and governed, in one line (empty if it was not)."""
    policy = metadata.get("chat_route_policy_context") or {}
    action = policy.get("chat_action")
    if not action:
        return ""
    parts = [action, f"{policy.get('action_risk')} risk", f"decision {policy.get('decision')}"]
    route = metadata.get("chat_route")
    if source := route_source(route if isinstance(route, dict) else {}):
        parts.append(source)
    if fallback := metadata.get("chat_route_fallback_reason"):
        parts.append(f"fallback {fallback}")
    if model_id := metadata.get("llm_model_id"):
        parts.append(f"{model_name(model_id)} · {credential_label(metadata)}")
    return " · ".join(parts)


def _heading(message: Message) -> str:
    kind = message.metadata.get("kind")
    if message.role is MessageRole.USER:
        who = "you"
    elif message.role is MessageRole.ASSISTANT:
        who = "assistant"
    else:
        who = _NOTICE_LABELS.get(str(kind), "notice")
    if message.status is MessageStatus.INCOMPLETE:
        who += " (interrupted)"
    return f"### {who} · {_when(message.created_at)}".rstrip(" ·")


def _body(message: Message) -> str:
    text = sanitize_terminal_text(message.content).strip()
    if message.role is MessageRole.SYSTEM:  # notices are quoted, apart from the conversation
        return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return text


def conversation_markdown(
    store: ConversationStore, conversation: Conversation, model_name: Callable[[str], str]
) -> str:
    """The whole conversation as Markdown; `model_name` turns a model id into its display name."""
    where = f"project {conversation.project_id}" if conversation.project_id else "personal"
    lines = [
        f"# {sanitize_terminal_text(conversation.title)}",
        "",
        f"*{where} conversation, started {_when(conversation.created_at)}; exported from "
        "amprealize-tui*",
    ]
    for message in all_messages(store, conversation.id):
        lines += ["", _heading(message), "", _body(message)]
        if message.role is not MessageRole.USER and (
            line := route_line(message.metadata, model_name)
        ):
            lines += ["", f"*route: {line}*"]
    return "\n".join(lines) + "\n"


def export_file_name(title: str) -> str:
    """A file name made from the title: lower-case words joined by dashes, `.md`."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].rstrip("-")
    return f"{slug or 'conversation'}.md"


def write_new_file(directory: Path, name: str, text: str) -> Path:
    """Write `text` to a file called `name` in `directory`, or name-2, name-3… so an existing
    file is never overwritten. OSError when the directory cannot be written."""
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 1
    while True:
        path = directory / candidate
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            number += 1
            candidate = f"{stem}-{number}{dot}{suffix}"
            continue
        return path
