"""ConversationStore: CRUD, ordering, pagination, search, metadata, streaming saves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
from amprealize_tui.core.conversations.store import (
    ConversationStore,
    InvalidMetadataError,
    NotFoundError,
)
from amprealize_tui.core.routing.contract import ConversationScope

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class SteppingClock:
    """Returns T0 + n * step on the n-th call; step 0 makes every timestamp tie."""

    def __init__(self, step: timedelta = timedelta(seconds=1)) -> None:
        self.step = step
        self.calls = 0

    def __call__(self) -> datetime:
        moment = T0 + self.step * self.calls
        self.calls += 1
        return moment


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    s = ConversationStore(tmp_path / "store.db", clock=SteppingClock())
    yield s
    s.close()


def _user(store: ConversationStore, conversation_id: str, text: str, **kw: object):
    return store.add_message(conversation_id, role=MessageRole.USER, content=text, **kw)


def test_create_get_and_defaults(store: ConversationStore) -> None:
    conv = store.create_conversation()
    assert conv.title == "New conversation"
    assert conv.scope is ConversationScope.GLOBAL_USER_HOME
    assert conv.project_id is None
    assert conv.created_at == T0 and conv.updated_at == T0
    assert store.get_conversation(conv.id) == conv
    assert store.get_conversation("missing") is None
    assert len(conv.id) == 32


def test_project_scope_rules(store: ConversationStore) -> None:
    conv = store.create_conversation(
        title="  Plan  ", scope=ConversationScope.PROJECT_SPACE, project_id="p1"
    )
    assert (conv.title, conv.scope, conv.project_id) == ("Plan", "project_space", "p1")
    with pytest.raises(ValueError, match="needs a project_id"):
        store.create_conversation(scope=ConversationScope.GROUP_CHAT)
    with pytest.raises(ValueError, match="cannot have a project_id"):
        store.create_conversation(project_id="p1")
    with pytest.raises(ValueError, match="cannot be empty"):
        store.create_conversation(title="   ")


def test_list_conversations_newest_activity_first(store: ConversationStore) -> None:
    a = store.create_conversation(title="a")
    b = store.create_conversation(title="b")
    c = store.create_conversation(title="c")
    assert [x.title for x in store.list_conversations()] == ["c", "b", "a"]
    _user(store, a.id, "bump")
    assert [x.title for x in store.list_conversations()] == ["a", "c", "b"]
    assert [x.title for x in store.list_conversations(limit=1)] == ["a"]
    assert store.get_conversation(a.id).updated_at > store.get_conversation(c.id).updated_at
    del b
    with pytest.raises(ValueError, match="at least 1"):
        store.list_conversations(limit=0)


def test_list_conversations_ties_are_stable(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "t.db", clock=SteppingClock(timedelta(0))) as s:
        ids = [s.create_conversation(title=str(i)).id for i in range(5)]
        assert [c.id for c in s.list_conversations()] == ids[::-1]


def test_rename(store: ConversationStore) -> None:
    conv = store.create_conversation()
    renamed = store.rename_conversation(conv.id, " Trip ideas ")
    assert renamed.title == "Trip ideas"
    assert renamed.updated_at > conv.updated_at
    assert store.get_conversation(conv.id).title == "Trip ideas"
    with pytest.raises(NotFoundError, match="to rename"):
        store.rename_conversation("nope", "x")
    with pytest.raises(ValueError, match="at most 200"):
        store.rename_conversation(conv.id, "x" * 201)


def test_delete_removes_messages_and_search_entries(store: ConversationStore) -> None:
    keep = store.create_conversation()
    gone = store.create_conversation()
    _user(store, keep.id, "kiwi keep")
    first = _user(store, gone.id, "kiwi gone")
    _user(store, gone.id, "reply", parent_id=first.id)
    store.delete_conversation(gone.id)
    assert store.get_conversation(gone.id) is None
    assert store.get_message(first.id) is None
    assert store.count_messages(gone.id) == 0
    assert [m.content for m in store.search("kiwi")] == ["kiwi keep"]
    with pytest.raises(NotFoundError, match="to delete"):
        store.delete_conversation(gone.id)


def test_add_and_get_message_with_metadata_round_trip(store: ConversationStore) -> None:
    conv = store.create_conversation()
    metadata = {
        "chat_route": {"candidates": [{"action_id": "chat.read_synthesis", "confidence": 0.9}]},
        "is_byok": False,
        "none": None,
        "unicode": "héllo ☃",
        "n": 3,
    }
    user = _user(store, conv.id, "hi")
    reply = store.add_message(
        conv.id,
        role=MessageRole.ASSISTANT,
        content="hello",
        status=MessageStatus.STREAMING,
        metadata=metadata,
        parent_id=user.id,
    )
    loaded = store.get_message(reply.id)
    assert loaded == reply
    assert loaded.metadata == metadata
    assert loaded.parent_id == user.id
    assert loaded.role is MessageRole.ASSISTANT and loaded.status is MessageStatus.STREAMING
    assert user.metadata == {}
    assert store.get_message("missing") is None
    assert store.get_conversation(conv.id).updated_at == reply.created_at


def test_add_message_rejects_bad_input(store: ConversationStore) -> None:
    conv = store.create_conversation()
    other = store.create_conversation()
    foreign = _user(store, other.id, "elsewhere")
    with pytest.raises(NotFoundError, match="no conversation"):
        _user(store, "missing", "x")
    with pytest.raises(NotFoundError, match="as parent"):
        _user(store, conv.id, "x", parent_id=foreign.id)
    with pytest.raises(InvalidMetadataError, match="not JSON-serialisable"):
        _user(store, conv.id, "x", metadata={"when": datetime.now(UTC)})
    with pytest.raises(InvalidMetadataError, match="not JSON-serialisable"):
        _user(store, conv.id, "x", metadata={"nan": float("nan")})
    with pytest.raises(InvalidMetadataError, match="keys must be strings"):
        _user(store, conv.id, "x", metadata={1: "a"})
    with pytest.raises(InvalidMetadataError, match="must be a dict"):
        _user(store, conv.id, "x", metadata=["a"])  # type: ignore[arg-type]
    assert store.count_messages(conv.id) == 0


def test_update_message(store: ConversationStore) -> None:
    conv = store.create_conversation()
    msg = store.add_message(
        conv.id,
        role=MessageRole.SYSTEM,
        content="approve?",
        status=MessageStatus.PENDING_APPROVAL,
        metadata={"kind": "approval", "risk": "high"},
    )
    updated = store.update_message(msg.id, status=MessageStatus.APPROVED)
    assert updated.status is MessageStatus.APPROVED
    assert updated.content == "approve?" and updated.metadata["kind"] == "approval"
    updated = store.update_message(msg.id, content="approved", metadata={"kind": "approval"})
    assert (updated.content, updated.metadata) == ("approved", {"kind": "approval"})
    assert store.get_message(msg.id) == updated
    assert store.update_message(msg.id) == updated
    with pytest.raises(NotFoundError, match="to update"):
        store.update_message("missing", content="x")
    with pytest.raises(InvalidMetadataError):
        store.update_message(msg.id, metadata={"x": {1, 2}})
    assert store.get_message(msg.id) == updated


def test_append_content_streams_and_is_committed(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer = ConversationStore(path)
    conv = writer.create_conversation()
    reply = writer.add_message(
        conv.id, role=MessageRole.ASSISTANT, content="", status=MessageStatus.STREAMING
    )
    for piece in ("Hel", "lo, ", "wörld", ""):
        writer.append_content(reply.id, piece)
    # A second connection sees the text without the writer closing: each append is committed.
    reader = ConversationStore(path)
    assert reader.get_message(reply.id).content == "Hello, wörld"
    with pytest.raises(NotFoundError, match="append"):
        writer.append_content("missing", "x")
    reader.close()
    writer.close()


def test_mark_streaming_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = ConversationStore(path)
    conv = store.create_conversation()
    cut = store.add_message(
        conv.id, role=MessageRole.ASSISTANT, content="", status=MessageStatus.STREAMING
    )
    store.append_content(cut.id, "partial answer")
    done = store.add_message(conv.id, role=MessageRole.ASSISTANT, content="full answer")
    store.close()  # the "crash"
    reopened = ConversationStore(path)
    assert reopened.get_message(cut.id).status is MessageStatus.STREAMING  # not touched on open
    assert reopened.mark_streaming_incomplete() == 1
    assert reopened.get_message(cut.id).status is MessageStatus.INCOMPLETE
    assert reopened.get_message(cut.id).content == "partial answer"
    assert reopened.get_message(done.id).status is MessageStatus.COMPLETE
    assert reopened.mark_streaming_incomplete() == 0
    assert [m.id for m in reopened.search("partial")] == [cut.id]
    reopened.close()


def test_count_messages(store: ConversationStore) -> None:
    conv = store.create_conversation()
    assert store.count_messages(conv.id) == 0
    for i in range(7):
        _user(store, conv.id, f"m{i}")
    assert store.count_messages(conv.id) == 7
    assert store.count_messages("missing") == 0


@pytest.mark.parametrize("step", [timedelta(0), timedelta(seconds=1), timedelta(seconds=-1)])
def test_pagination_has_no_gaps_or_duplicates(tmp_path: Path, step: timedelta) -> None:
    # step 0: every timestamp ties; negative: the wall clock runs backwards.
    with ConversationStore(tmp_path / "p.db", clock=SteppingClock(step)) as s:
        conv = s.create_conversation()
        other = s.create_conversation()
        ids = []
        for i in range(23):
            ids.append(_user(s, conv.id, f"m{i}").id)
            _user(s, other.id, f"noise{i}")
        pages: list[list[str]] = []
        before = None
        while True:
            page = s.messages_page(conv.id, limit=5, before=before)
            if not page:
                break
            pages.append([m.id for m in page])
            before = page[-1].id
        assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
        flat = [mid for page in pages for mid in page]
        assert flat == ids[::-1]
        assert [m.content for m in s.messages_page(conv.id, limit=2)] == ["m22", "m21"]
        assert s.messages_page(conv.id, before=ids[0]) == []


def test_pagination_cursor_errors(store: ConversationStore) -> None:
    conv = store.create_conversation()
    other = store.create_conversation()
    foreign = _user(store, other.id, "x")
    with pytest.raises(NotFoundError, match="to page from"):
        store.messages_page(conv.id, before=foreign.id)
    with pytest.raises(ValueError, match="at least 1"):
        store.messages_page(conv.id, limit=0)
    assert store.messages_page("missing") == []


def test_search_matches_words_and_prefixes(store: ConversationStore) -> None:
    conv = store.create_conversation()
    a = _user(store, conv.id, "The deployment pipeline failed on Tuesday")
    b = _user(store, conv.id, "Please plan the deployment")
    _user(store, conv.id, "unrelated chatter")
    assert [m.id for m in store.search("deployment")] == [b.id, a.id]  # newest first
    assert [m.id for m in store.search("deploy pipe")] == [a.id]
    assert [m.id for m in store.search("TUESDAY")] == [a.id]
    assert store.search("absent") == []
    assert store.search("") == [] and store.search("   ") == []
    assert [m.id for m in store.search("deployment", limit=1)] == [b.id]


def test_search_ignores_streaming_until_finished(store: ConversationStore) -> None:
    conv = store.create_conversation()
    reply = store.add_message(
        conv.id, role=MessageRole.ASSISTANT, content="", status=MessageStatus.STREAMING
    )
    store.append_content(reply.id, "zebra facts")
    assert store.search("zebra") == []
    store.update_message(reply.id, status=MessageStatus.COMPLETE)
    assert [m.id for m in store.search("zebra")] == [reply.id]
    store.update_message(reply.id, content="giraffe facts")
    assert store.search("zebra") == []
    assert [m.id for m in store.search("giraffe")] == [reply.id]


@pytest.mark.parametrize(
    "query",
    ['"', '""', "AND(", "a OR", "NOT", "(((", "*", "col:umn", "x^y", "NEAR(a b)", "'; DROP", "-"],
)
def test_search_hostile_queries_do_not_raise(store: ConversationStore, query: str) -> None:
    conv = store.create_conversation()
    msg = _user(store, conv.id, 'weird "quoted" AND( text NOT col:umn NEAR(a b) x^y')
    result = store.search(query)
    assert all(m.id == msg.id for m in result)
    assert store.count_messages(conv.id) == 1


def test_search_hostile_query_matches_literal_words(store: ConversationStore) -> None:
    conv = store.create_conversation()
    msg = _user(store, conv.id, "use AND and OR operators")
    _user(store, conv.id, "nothing here")
    assert [m.id for m in store.search("AND(")] == [msg.id]
    assert [m.id for m in store.search('"OR"')] == [msg.id]


def test_meta_get_set(store: ConversationStore) -> None:
    assert store.get_meta("audit_head") is None
    store.set_meta("audit_head", "one")
    store.set_meta("audit_head", "two")
    assert store.get_meta("audit_head") == "two"


def test_memory_database_works() -> None:
    with ConversationStore(":memory:") as s:
        conv = s.create_conversation()
        _user(s, conv.id, "in memory")
        assert [m.content for m in s.search("memory")] == ["in memory"]
        assert s.schema_version == 2


def test_concurrent_threads_share_a_store(store: ConversationStore) -> None:
    conv = store.create_conversation()
    reply = store.add_message(
        conv.id, role=MessageRole.ASSISTANT, content="", status=MessageStatus.STREAMING
    )
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                _user(store, conv.id, f"t{n}-{i}")
                store.append_content(reply.id, "x")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_messages(conv.id) == 201
    assert store.get_message(reply.id).content == "x" * 200


def test_naive_clock_is_rejected(tmp_path: Path) -> None:
    s = ConversationStore(tmp_path / "n.db", clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        s.create_conversation()
    assert s.list_conversations() == []
    s.close()


def test_a_new_database_and_its_wal_are_private(tmp_path: Path) -> None:
    """Conversations are private: a new database file (and the WAL SQLite creates beside it)
    is readable by its owner only, whatever the umask."""
    path = tmp_path / "chats.db"
    store = ConversationStore(path)
    try:
        store.create_conversation(title="secret plans")
        wal = Path(f"{path}-wal")
        assert wal.exists()
        assert path.stat().st_mode & 0o777 == 0o600
        assert wal.stat().st_mode & 0o777 == 0o600
    finally:
        store.close()


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    ConversationStore(path).close()
    path.chmod(0o640)
    ConversationStore(path).close()
    assert path.stat().st_mode & 0o777 == 0o640


def test_paging_forward_after_a_message(store: ConversationStore) -> None:
    conversation = store.create_conversation()
    ids = [
        store.add_message(conversation.id, role=MessageRole.USER, content=f"m{i}").id
        for i in range(7)
    ]
    after = store.messages_page(conversation.id, limit=3, after=ids[1])
    assert [m.id for m in after] == [ids[4], ids[3], ids[2]]  # the 3 just after, newest first
    assert store.messages_page(conversation.id, limit=3, after=ids[-1]) == []
    with pytest.raises(NotFoundError):
        store.messages_page(conversation.id, after="missing")
    with pytest.raises(ValueError, match="not both"):
        store.messages_page(conversation.id, before=ids[3], after=ids[1])
