"""Schema of the conversation database, as ordered forward migrations.

`MIGRATIONS[i]` takes a database from `user_version == i` to `i + 1`. Steps are only ever
appended: an existing step is never edited once released, because databases in the field have
already run it.

Messages carry an INTEGER `seq` primary key (AUTOINCREMENT, so a value is never reused after a
delete). The store orders messages by `seq`, i.e. insertion order: stable when timestamps tie
and unaffected by a wall clock that steps backwards.

Full-text search (version 2) uses an external-content FTS5 table kept in step by triggers. A
message is indexed only while its status is not `streaming`: a streamed reply is saved with many
small `content = content || ?` updates, and re-indexing the whole text on each would make
streaming quadratic. The reply enters the index once its status leaves `streaming`.
"""

from __future__ import annotations

from typing import Final

_V1: Final = """
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    scope TEXT NOT NULL,
    project_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES messages(id) ON DELETE SET NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX idx_messages_conversation ON messages(conversation_id);
CREATE INDEX idx_messages_parent ON messages(parent_id);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_V2: Final = """
DROP INDEX idx_messages_conversation;
CREATE INDEX idx_messages_conversation_seq ON messages(conversation_id, seq);
CREATE INDEX idx_conversations_updated ON conversations(updated_at, id);
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content='messages', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts(rowid, content)
    SELECT seq, content FROM messages WHERE status != 'streaming';
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.status != 'streaming' BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.status != 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.seq, old.content WHERE old.status != 'streaming';
    INSERT INTO messages_fts(rowid, content)
        SELECT new.seq, new.content WHERE new.status != 'streaming';
END;
"""

MIGRATIONS: Final[tuple[str, ...]] = (_V1, _V2)
SCHEMA_VERSION: Final = len(MIGRATIONS)
