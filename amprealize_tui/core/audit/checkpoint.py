"""Where the audit log's head (record count + last hash) is kept, outside the log itself.

A hash chain shows an edited, removed or reordered record, but not a cut-off tail: the shorter
log is still a valid chain. The head checkpoint, stored somewhere the log's writer updates on
each append, closes that gap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from amprealize_tui.core.conversations.store import ConversationStore

AUDIT_HEAD_KEY = "audit_head"


class CheckpointError(Exception):
    """The stored checkpoint cannot be read."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    count: int
    last_hash: str


class CheckpointStore(Protocol):
    def get(self) -> Checkpoint | None: ...

    def set(self, checkpoint: Checkpoint) -> None: ...


class MemoryCheckpoint:
    """Keeps the head in memory: for tests and for verifying a log whose database is absent."""

    def __init__(self, checkpoint: Checkpoint | None = None) -> None:
        self._checkpoint = checkpoint

    def get(self) -> Checkpoint | None:
        return self._checkpoint

    def set(self, checkpoint: Checkpoint) -> None:
        self._checkpoint = checkpoint


class MetaCheckpoint:
    """The head in the conversation database's `meta` table (key "audit_head")."""

    def __init__(self, store: ConversationStore, key: str = AUDIT_HEAD_KEY) -> None:
        self._store = store
        self._key = key

    def get(self) -> Checkpoint | None:
        raw = self._store.get_meta(self._key)
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            checkpoint = Checkpoint(count=int(data["count"]), last_hash=str(data["hash"]))
        except (ValueError, TypeError, KeyError) as exc:
            raise CheckpointError(
                f"the audit checkpoint ({self._key!r} in {self._store.path}) is unreadable "
                f"({exc.__class__.__name__}); it was altered outside the app."
            ) from None
        return checkpoint

    def set(self, checkpoint: Checkpoint) -> None:
        self._store.set_meta(
            self._key,
            json.dumps({"count": checkpoint.count, "hash": checkpoint.last_hash}),
        )
