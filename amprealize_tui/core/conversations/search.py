"""Searching every conversation: the store's full-text matches, with the conversation's title
and a one-line excerpt around the first matching word, ready to list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from amprealize_tui.core.conversations.models import MessageRole
from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text
from amprealize_tui.core.conversations.store import ConversationStore

EXCERPT_WIDTH = 96
_LEAD = 24  # characters of context kept before the first match
_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class SearchHit:
    message_id: str
    conversation_id: str
    conversation_title: str
    role: MessageRole
    created_at: datetime | None
    excerpt: str


def term_pattern(query: str) -> re.Pattern[str] | None:
    """Where the words of `query` match: at the start of a word, any case (as the store's
    full-text search matches them). None for a blank query."""
    terms = "|".join(re.escape(term) for term in query.split())
    return re.compile(rf"\b(?:{terms})", re.IGNORECASE) if terms else None


def excerpt(text: str, query: str, width: int = EXCERPT_WIDTH) -> str:
    """One line of `text` (terminal-safe, whitespace collapsed) of at most `width` characters,
    starting a little before the first word that a term of `query` begins."""
    flat = " ".join(sanitize_terminal_text(text).split())
    pattern = term_pattern(query)
    found = pattern.search(flat) if pattern else None
    start = 0
    if found is not None and found.start() > _LEAD:
        start = found.start() - _LEAD
        space = flat.find(" ", start, found.start())  # begin on a word, not inside one
        if space >= 0:
            start = space + 1
    prefix = _ELLIPSIS if start > 0 else ""
    room = width - len(prefix)
    body = flat[start:]
    if len(body) > room:
        body = body[: room - 1].rstrip() + _ELLIPSIS
    return prefix + body


def find_messages(store: ConversationStore, query: str, *, limit: int = 50) -> list[SearchHit]:
    """The newest `limit` messages matching every word of `query` (word prefixes), with their
    conversations' titles. Empty for a blank query."""
    messages = store.search(query, limit=limit)
    titles: dict[str, str | None] = {}
    hits = []
    for message in messages:
        if message.conversation_id not in titles:
            conversation = store.get_conversation(message.conversation_id)
            titles[message.conversation_id] = conversation.title if conversation else None
        title = titles[message.conversation_id]
        if title is None:
            continue  # deleted since the search ran
        hits.append(
            SearchHit(
                message.id,
                message.conversation_id,
                title,
                message.role,
                message.created_at,
                excerpt(message.content, query),
            )
        )
    return hits
