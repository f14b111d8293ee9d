"""Conversations and messages in SQLite (stdlib sqlite3, WAL, versioned schema).

One connection in autocommit mode guarded by a lock, so the Textual event loop and worker threads
can share a store. Every public method is one committed unit of work.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amprealize_tui.core.conversations.migrations import MIGRATIONS, SCHEMA_VERSION
from amprealize_tui.core.conversations.models import (
    Conversation,
    Message,
    MessageRole,
    MessageStatus,
)
from amprealize_tui.core.routing.contract import ConversationScope

MAX_TITLE_LENGTH = 200
_MESSAGE_COLUMNS = "id, conversation_id, parent_id, role, content, status, metadata, created_at"
_CONVERSATION_COLUMNS = "id, title, scope, project_id, created_at, updated_at"


class StoreError(Exception):
    """The conversation database cannot be used as asked; the message says what to do."""


class NewerSchemaError(StoreError):
    """The database was written by a newer app version; it is left unmodified."""


class CorruptDatabaseError(StoreError):
    """The file is not a readable conversation database; it is left untouched."""


class NotFoundError(StoreError, LookupError):
    """No conversation or message has the given id."""


class InvalidMetadataError(StoreError, ValueError):
    """Message metadata is not a JSON object."""


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


def _encode_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the store clock must return timezone-aware datetimes")
    # Fixed width (always microseconds, always +00:00) so text order is time order.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _encode_metadata(metadata: dict[str, Any] | None) -> str:
    if metadata is None:
        return "{}"
    if not isinstance(metadata, dict):
        raise InvalidMetadataError(
            f"message metadata must be a dict (a JSON object), not {type(metadata).__name__}."
        )
    bad_keys = [key for key in metadata if not isinstance(key, str)]
    if bad_keys:
        raise InvalidMetadataError(
            f"message metadata keys must be strings; got {bad_keys[0]!r}. "
            "Convert keys to str before saving."
        )
    try:
        return json.dumps(metadata, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidMetadataError(
            f"message metadata is not JSON-serialisable ({exc}); use only dict, list, str, "
            "int, finite float, bool and None (e.g. pydantic model_dump(mode='json'))."
        ) from None


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration step, one by one (trigger bodies kept whole)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in a migration step: {pending.strip()!r}")


def _fts_query(text: str) -> str:
    """User text as an FTS5 query: each word a quoted prefix phrase, so no input is syntax."""
    terms = text.split()
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        title=row["title"],
        scope=ConversationScope(row["scope"]),
        project_id=row["project_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=MessageRole(row["role"]),
        content=row["content"],
        status=MessageStatus(row["status"]),
        metadata=json.loads(row["metadata"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def check_title(title: str) -> str:
    """The title as stored (trimmed); ValueError saying what is wrong with it."""
    cleaned = title.strip()
    if not cleaned:
        raise ValueError("a conversation title cannot be empty; type at least one character.")
    if len(cleaned) > MAX_TITLE_LENGTH:
        raise ValueError(
            f"a conversation title can have at most {MAX_TITLE_LENGTH} characters "
            f"(got {len(cleaned)}); shorten it."
        )
    return cleaned


def _check_scope(scope: ConversationScope, project_id: str | None) -> None:
    if scope is ConversationScope.GLOBAL_USER_HOME and project_id is not None:
        raise ValueError("a global_user_home conversation cannot have a project_id.")
    if scope is not ConversationScope.GLOBAL_USER_HOME and not project_id:
        raise ValueError(f"a {scope.value} conversation needs a project_id.")


class ConversationStore:
    """Conversations and their messages; also a small key/value `meta` table.

    Call `mark_streaming_incomplete()` once when the app starts (not on every open: a CLI command
    opening the same database must not cut off a reply the running app is streaming).
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] | None = None) -> None:
        self._path = str(path)
        self._clock = clock or _now
        self._lock = threading.RLock()
        self._conn = self._connect()
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    # -- opening -----------------------------------------------------------------------------

    def _describe(self) -> str:
        return "the in-memory database" if self._path == ":memory:" else f"database {self._path}"

    def _create_private(self) -> None:
        """Create a new database file readable by its owner only; SQLite gives its -wal and -shm
        files the same mode. An existing file keeps the mode its owner chose."""
        if self._path == ":memory:":
            return
        # An existing file is fine; an unusable path is reported by sqlite3.connect below.
        with suppress(OSError):
            os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    def _connect(self) -> sqlite3.Connection:
        self._create_private()
        try:
            conn = sqlite3.connect(
                self._path, check_same_thread=False, isolation_level=None, timeout=5.0
            )
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open {self._describe()} ({exc}); check that its directory exists "
                "and is writable."
            ) from None
        conn.row_factory = sqlite3.Row
        try:
            # Reading the header first: a non-database file fails here, before any write. One
            # read transaction, so a migration committed meanwhile is seen whole or not at all.
            conn.execute("BEGIN")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptDatabaseError(
                f"{self._describe()} is not a readable SQLite database ({exc}). The file was "
                "left untouched; move it aside (or restore a backup) and start the app again."
            ) from None
        if version > SCHEMA_VERSION:
            conn.close()
            raise NewerSchemaError(
                f"{self._describe()} has schema version {version}, but this app knows only up "
                f"to {SCHEMA_VERSION}; it was written by a newer amprealize-tui. The file was "
                "not modified; upgrade amprealize-tui to open it."
            )
        if version == 0 and tables:
            conn.close()
            raise CorruptDatabaseError(
                f"{self._describe()} holds other tables ({', '.join(sorted(tables))}) and is "
                "not an amprealize-tui database. The file was left untouched; point "
                "AMPREALIZE_HOME elsewhere or move the file aside."
            )
        if version > 0 and not {"conversations", "messages", "meta"} <= tables:
            conn.close()
            raise CorruptDatabaseError(
                f"{self._describe()} claims schema version {version} but is missing tables. "
                "The file was left untouched; move it aside (or restore a backup)."
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _migrate(self) -> None:
        """Applies pending steps, each in its own write transaction.

        The version is re-read after taking the write lock, so two processes opening a new
        database at once do not both run the same step.
        """
        while True:
            with self._lock:
                try:
                    with self._transaction() as conn:
                        version = conn.execute("PRAGMA user_version").fetchone()[0]
                        if version >= SCHEMA_VERSION:
                            return
                        for statement in _statements(MIGRATIONS[version]):
                            conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {version + 1}")
                except sqlite3.Error as exc:
                    raise StoreError(
                        f"upgrading the schema of {self._describe()} failed ({exc}); the step "
                        "was rolled back. Close other amprealize-tui windows and try again."
                    ) from None

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def path(self) -> str:
        return self._path

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- conversations -----------------------------------------------------------------------

    def create_conversation(
        self,
        *,
        title: str = "New conversation",
        scope: ConversationScope = ConversationScope.GLOBAL_USER_HOME,
        project_id: str | None = None,
    ) -> Conversation:
        scope = ConversationScope(scope)
        _check_scope(scope, project_id)
        now = _encode_time(self._clock())
        conversation_id = _new_id()
        with self._lock:
            self._conn.execute(
                f"INSERT INTO conversations ({_CONVERSATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, check_title(title), scope.value, project_id, now, now),
            )
            return self._require_conversation(conversation_id)

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        return None if row is None else _conversation(row)

    def _require_conversation(self, conversation_id: str) -> Conversation:
        conversation = self.get_conversation(conversation_id)
        if conversation is None:
            raise NotFoundError(f"no conversation with id {conversation_id!r}.")
        return conversation

    def list_conversations(self, *, limit: int = 200) -> list[Conversation]:
        """Newest activity first; ties broken by creation order (newest first)."""
        _check_limit(limit)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM conversations "
                "ORDER BY updated_at DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_conversation(row) for row in rows]

    def rename_conversation(self, conversation_id: str, title: str) -> Conversation:
        title = check_title(title)
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (title, _encode_time(self._clock()), conversation_id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no conversation with id {conversation_id!r} to rename.")
            return self._require_conversation(conversation_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """Deletes the conversation and (by cascade) all its messages."""
        with self._lock:
            cursor = self._conn.execute(
                "DELETE FROM conversations WHERE id = ?", (conversation_id,)
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no conversation with id {conversation_id!r} to delete.")

    # -- messages ----------------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: str,
        *,
        role: MessageRole,
        content: str,
        status: MessageStatus = MessageStatus.COMPLETE,
        metadata: dict[str, Any] | None = None,
        parent_id: str | None = None,
    ) -> Message:
        """Saves a message and bumps the conversation's `updated_at`."""
        role, status = MessageRole(role), MessageStatus(status)
        encoded = _encode_metadata(metadata)
        now = _encode_time(self._clock())
        message_id = _new_id()
        with self._transaction() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                is None
            ):
                raise NotFoundError(f"no conversation with id {conversation_id!r}.")
            if parent_id is not None:
                parent = conn.execute(
                    "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
                ).fetchone()
                if parent is None or parent[0] != conversation_id:
                    raise NotFoundError(
                        f"no message with id {parent_id!r} in conversation {conversation_id!r} "
                        "to use as parent."
                    )
            conn.execute(
                f"INSERT INTO messages ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    conversation_id,
                    parent_id,
                    role.value,
                    content,
                    status.value,
                    encoded,
                    now,
                ),
            )
            conn.execute(
                "UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?",
                (now, conversation_id),
            )
        return self._require_message(message_id)

    def update_message(
        self,
        message_id: str,
        *,
        content: str | None = None,
        status: MessageStatus | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Replaces the given fields (metadata is replaced whole, not merged)."""
        assignments: list[str] = []
        values: list[Any] = []
        if content is not None:
            assignments.append("content = ?")
            values.append(content)
        if status is not None:
            assignments.append("status = ?")
            values.append(MessageStatus(status).value)
        if metadata is not None:
            assignments.append("metadata = ?")
            values.append(_encode_metadata(metadata))
        with self._lock:
            if assignments:
                cursor = self._conn.execute(
                    f"UPDATE messages SET {', '.join(assignments)} WHERE id = ?",
                    (*values, message_id),
                )
                if cursor.rowcount == 0:
                    raise NotFoundError(f"no message with id {message_id!r} to update.")
            return self._require_message(message_id)

    def append_content(self, message_id: str, text: str) -> None:
        """Appends streamed text in SQL (no read-modify-write); committed on return."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE messages SET content = content || ? WHERE id = ?", (text, message_id)
            )
        if cursor.rowcount == 0:
            raise NotFoundError(f"no message with id {message_id!r} to append to.")

    def get_message(self, message_id: str) -> Message | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
        return None if row is None else _message(row)

    def _require_message(self, message_id: str) -> Message:
        message = self.get_message(message_id)
        if message is None:
            raise NotFoundError(f"no message with id {message_id!r}.")
        return message

    def messages_page(
        self,
        conversation_id: str,
        *,
        limit: int = 50,
        before: str | None = None,
        after: str | None = None,
    ) -> list[Message]:
        """Up to `limit` messages, newest first: the newest ones, or the ones just older than
        message `before`, or the ones just newer than message `after`.

        Page back through a conversation by passing the oldest id of one page as `before`, and
        forward (from a search hit, say) by passing the newest id as `after`.
        """
        _check_limit(limit)
        if before is not None and after is not None:
            raise ValueError("page before a message or after one, not both")
        with self._lock:
            if before is None and after is None:
                rows = self._conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? "
                    "ORDER BY seq DESC LIMIT ?",
                    (conversation_id, limit),
                ).fetchall()
            elif before is not None:
                rows = self._conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages "
                    "WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                    (conversation_id, self._seq(conversation_id, before), limit),
                ).fetchall()
            else:
                assert after is not None
                rows = self._conn.execute(
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages "
                    "WHERE conversation_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?",
                    (conversation_id, self._seq(conversation_id, after), limit),
                ).fetchall()[::-1]
        return [_message(row) for row in rows]

    def _seq(self, conversation_id: str, message_id: str) -> int:
        """The position of a message to page from; NotFoundError when it is not there."""
        row = self._conn.execute(
            "SELECT seq FROM messages WHERE id = ? AND conversation_id = ?",
            (message_id, conversation_id),
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no message with id {message_id!r} in conversation {conversation_id!r} "
                "to page from."
            )
        return int(row[0])

    def count_messages(self, conversation_id: str) -> int:
        with self._lock:
            return int(
                self._conn.execute(
                    "SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()[0]
            )

    def search(self, query: str, *, limit: int = 50) -> list[Message]:
        """Messages matching every word of `query` (as word prefixes), newest first.

        The user's text is never FTS5 syntax: quotes, AND/OR/NOT, parentheses and `*` are
        matched as plain text. Messages still streaming are not indexed yet. Newest-first (not
        relevance) lets FTS5 stop after `limit` hits: a word found in every message of a
        100,000-message database costs milliseconds instead of ranking all matches.
        """
        _check_limit(limit)
        match = _fts_query(query)
        if not match:
            return []
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE seq IN ("
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
                "ORDER BY rowid DESC LIMIT ?) ORDER BY seq DESC",
                (match, limit),
            ).fetchall()
        return [_message(row) for row in rows]

    def mark_streaming_incomplete(self) -> int:
        """Marks replies a crash left `streaming` as `incomplete` (text kept); returns how many."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE messages SET status = ? WHERE status = ?",
                (MessageStatus.INCOMPLETE.value, MessageStatus.STREAMING.value),
            )
        return cursor.rowcount

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit}).")
