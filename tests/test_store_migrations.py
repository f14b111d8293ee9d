"""Schema versions, forward migration from version 1, and refusing unusable files untouched."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from amprealize_tui.core.conversations.migrations import MIGRATIONS, SCHEMA_VERSION
from amprealize_tui.core.conversations.models import MessageRole
from amprealize_tui.core.conversations.store import (
    ConversationStore,
    CorruptDatabaseError,
    NewerSchemaError,
    StoreError,
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _objects(path: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return set(
            conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        )


def test_there_are_at_least_two_versions() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2


def test_new_database_gets_latest_schema_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    with ConversationStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    names = {name for _, name in _objects(path)}
    assert {"conversations", "messages", "meta", "messages_fts"} <= names
    assert "idx_messages_conversation_seq" in names


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    with ConversationStore(path) as store:
        conv = store.create_conversation(title="kept")
    with ConversationStore(path) as store:
        assert store.get_conversation(conv.id).title == "kept"
        assert store.schema_version == SCHEMA_VERSION


def _make_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO conversations VALUES ('c1', 'Old chat', 'global_user_home', NULL, "
        "'2024-01-01T00:00:00.000000+00:00', '2024-01-01T00:00:05.000000+00:00')"
    )
    rows = [
        ("m1", "c1", None, "user", "how do I rotate the nightly backup", "complete", "{}", 1),
        (
            "m2",
            "c1",
            "m1",
            "assistant",
            "rotate it with cron",
            "complete",
            '{"llm_model_id":"x"}',
            2,
        ),
        ("m3", "c1", "m2", "assistant", "half a reply about backup", "streaming", "{}", 3),
    ]
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, metadata, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2024-01-01T00:00:0' || ? || '.000000+00:00')",
        rows,
    )
    conn.execute("INSERT INTO meta VALUES ('audit_head', '{\"count\":1}')")
    conn.commit()
    conn.close()


def test_migrates_version_1_database_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _make_v1(path)
    with ConversationStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        conv = store.get_conversation("c1")
        assert conv is not None and conv.title == "Old chat"
        page = store.messages_page("c1")
        assert [m.id for m in page] == ["m3", "m2", "m1"]
        assert page[1].metadata == {"llm_model_id": "x"}
        assert page[1].parent_id == "m1"
        assert store.get_meta("audit_head") == json.dumps({"count": 1}, separators=(",", ":"))
        # New in version 2: full-text search over the rows that existed before the upgrade,
        # leaving the crash-interrupted streaming reply out until it is marked incomplete.
        assert [m.id for m in store.search("backup")] == ["m1"]
        assert store.mark_streaming_incomplete() == 1
        assert {m.id for m in store.search("backup")} == {"m1", "m3"}
        # and the upgraded database keeps working for new writes
        new = store.add_message("c1", role=MessageRole.USER, content="backup again")
        assert store.messages_page("c1", limit=1)[0].id == new.id
        assert new.id in {m.id for m in store.search("again")}
    assert "idx_messages_conversation" not in {name for _, name in _objects(path)}


def test_newer_database_is_refused_and_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with ConversationStore(path) as store:
        store.create_conversation()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    before = _digest(path)
    with pytest.raises(NewerSchemaError) as info:
        ConversationStore(path)
    message = str(info.value)
    assert str(path) in message
    assert f"schema version {SCHEMA_VERSION + 5}" in message
    assert "not modified" in message and "upgrade" in message
    assert _digest(path) == before


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 200, b"SQLite format 3\x00" + b"\xff" * 4000],
    ids=["text", "bad-header"],
)
def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "amprealize.db"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError) as info:
        ConversationStore(path)
    assert str(path) in str(info.value)
    assert "left untouched" in str(info.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["amprealize.db"]


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    before = _digest(path)
    with pytest.raises(CorruptDatabaseError, match="not an amprealize-tui database"):
        ConversationStore(path)
    assert _digest(path) == before


def test_simultaneous_first_opens_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    barrier = threading.Barrier(4)
    results: list[object] = []

    def open_store() -> None:
        barrier.wait()
        try:
            with ConversationStore(path) as store:
                results.append(store.schema_version)
        except Exception as exc:  # collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [SCHEMA_VERSION] * 4


def test_unopenable_path_gives_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open database .*directory exists"):
        ConversationStore(tmp_path / "no" / "such" / "dir" / "x.db")
