"""The hash-chained audit log: appends, resume, checkpoint, and verify catching tampering."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from amprealize_tui.core.audit.checkpoint import (
    AUDIT_HEAD_KEY,
    Checkpoint,
    MemoryCheckpoint,
    MetaCheckpoint,
)
from amprealize_tui.core.audit.log import (
    GENESIS_HASH,
    AuditIntegrityError,
    AuditLog,
    VerifyReport,
    open_audit,
)
from amprealize_tui.core.audit.sink import AuditEventType, AuditSink
from amprealize_tui.core.config import load_settings
from amprealize_tui.core.conversations.store import ConversationStore

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> datetime:
        self.n += 1
        return T0 + timedelta(seconds=self.n)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


@pytest.fixture
def checkpoint() -> MemoryCheckpoint:
    return MemoryCheckpoint()


@pytest.fixture
def log(path: Path, checkpoint: MemoryCheckpoint) -> Iterator[AuditLog]:
    audit = AuditLog(path, checkpoint=checkpoint, clock=Clock())
    yield audit
    audit.close()


def write(log: AuditLog, count: int, *, start: int = 0) -> None:
    for i in range(start, start + count):
        log.record(
            AuditEventType.POLICY_DECISION,
            user_id="alice",
            chat_scope="global_user_home",
            action="chat.read_synthesis",
            decision="allow",
            target_resources=[f"conversation:{i}"],
            conversation_id="c" * 32,
            message_id=f"m{i}",
            metadata={"chat_route_mode": "deterministic", "i": i},
        )


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def expected_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_records_form_a_chain_with_the_documented_fields(log: AuditLog, path: Path) -> None:
    write(log, 3)
    records = [json.loads(line) for line in lines(path)]
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[0]["prev_hash"] == GENESIS_HASH
    for earlier, later in itertools.pairwise(records):
        assert later["prev_hash"] == earlier["hash"]
    for record in records:
        assert record["hash"] == expected_hash(record)
        assert len(record["audit_id"]) == 32
    first = records[0]
    assert first["timestamp"] == "2025-03-01T12:00:01.000000+00:00"
    assert {k: first[k] for k in ("event_type", "user_id", "chat_scope", "action", "decision")} == {
        "event_type": "policy_decision",
        "user_id": "alice",
        "chat_scope": "global_user_home",
        "action": "chat.read_synthesis",
        "decision": "allow",
    }
    assert first["target_resources"] == ["conversation:0"]
    assert (first["conversation_id"], first["message_id"]) == ("c" * 32, "m0")
    assert first["metadata"] == {"chat_route_mode": "deterministic", "i": 0}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_checkpoint_follows_each_append(log: AuditLog, checkpoint: MemoryCheckpoint, path: Path):
    write(log, 2)
    last = json.loads(lines(path)[-1])
    assert checkpoint.get() == Checkpoint(count=2, last_hash=last["hash"])


def test_chain_resumes_across_reopen_with_store_checkpoint(tmp_path: Path, path: Path) -> None:
    db = tmp_path / "amprealize.db"
    with ConversationStore(db) as store:
        first = AuditLog(path, checkpoint=MetaCheckpoint(store))
        write(first, 3)
        first.close()
    with ConversationStore(db) as store:
        second = AuditLog(path, checkpoint=MetaCheckpoint(store))
        write(second, 2, start=3)
        report = second.verify()
        assert (report.ok, report.count, report.problem) == (True, 5, "")
        head = json.loads(store.get_meta(AUDIT_HEAD_KEY))
        assert head == {"count": 5, "hash": json.loads(lines(path)[-1])["hash"]}
        second.close()
    records = [json.loads(line) for line in lines(path)]
    assert records[3]["prev_hash"] == records[2]["hash"]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]


def test_two_writers_on_one_file_keep_one_chain(path: Path, checkpoint: MemoryCheckpoint):
    a = AuditLog(path, checkpoint=checkpoint)
    b = AuditLog(path, checkpoint=checkpoint)
    for i in range(4):
        write(a if i % 2 else b, 2, start=i * 2)
    assert a.verify().ok and a.verify().count == 8
    a.close()
    b.close()


def _append_in_process(path: str, count: int) -> None:
    log = AuditLog(path)
    write(log, count)
    log.close()


def test_separate_processes_keep_one_chain(path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_append_in_process, args=(str(path), 25)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    report = AuditLog(path).verify()
    assert (report.ok, report.count) == (True, 75), report.problem


def test_threads_share_a_log(log: AuditLog) -> None:
    threads = [threading.Thread(target=write, args=(log, 20)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = log.verify()
    assert (report.ok, report.count) == (True, 80)


def test_verify_during_appends_sees_whole_appends_only(path: Path) -> None:
    checkpoint = MemoryCheckpoint()
    writer = AuditLog(path, checkpoint=checkpoint)
    reader = AuditLog(path, checkpoint=checkpoint)
    write(writer, 1)
    done = threading.Event()

    def append() -> None:
        write(writer, 150)
        done.set()

    thread = threading.Thread(target=append)
    thread.start()
    reports = []
    while not done.is_set():
        reports.append(reader.verify())
    thread.join()
    writer.close()
    assert reports
    assert [r for r in reports if not r.ok or r.notes] == []


def test_missing_and_empty_logs_verify_ok(path: Path, checkpoint: MemoryCheckpoint) -> None:
    log = AuditLog(path, checkpoint=checkpoint)
    assert log.verify() == VerifyReport(True, 0, None, "")
    assert not path.exists()
    path.write_bytes(b"")
    assert log.verify().ok and log.verify().count == 0
    assert log.tail(5) == [] and list(log.iter_records()) == []


# -- tampering -------------------------------------------------------------------------------


def _rewrite(path: Path, new_lines: list[bytes]) -> None:
    path.write_bytes(b"".join(new_lines))


def test_edited_field_is_a_hash_mismatch(log: AuditLog, path: Path) -> None:
    write(log, 20)
    content = lines(path)
    content[16] = content[16].replace(b'"decision":"allow"', b'"decision":"deny"')
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.count, report.first_bad_line) == (False, 16, 17)
    assert report.problem == "record 17 (line 17): hash mismatch (edited)"


def test_edited_field_with_recomputed_hash_breaks_the_chain(log: AuditLog, path: Path) -> None:
    write(log, 5)
    content = lines(path)
    record = json.loads(content[1])
    record["decision"] = "deny"
    record["hash"] = expected_hash(record)
    body = json.dumps(
        {k: v for k, v in record.items() if k != "hash"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    content[1] = (body[:-1] + f',"hash":"{record["hash"]}"}}\n').encode()
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "chain broken" in report.problem


def test_rewritten_last_record_is_caught_by_the_checkpoint(log: AuditLog, path: Path) -> None:
    write(log, 3)
    content = lines(path)
    record = json.loads(content[-1])
    record["decision"] = "deny"
    body = json.dumps(
        {k: v for k, v in record.items() if k != "hash"},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    content[-1] = (body[:-1] + f',"hash":"{expected_hash(record)}"}}\n').encode()
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "checkpoint mismatch" in report.problem


def test_deleted_line_breaks_the_chain(log: AuditLog, path: Path) -> None:
    write(log, 6)
    content = lines(path)
    del content[2]
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.count, report.first_bad_line) == (False, 2, 3)
    assert report.problem.startswith("record 3 (line 3): chain broken: found record 4")


def test_swapped_lines_break_the_chain(log: AuditLog, path: Path) -> None:
    write(log, 6)
    content = lines(path)
    content[3], content[4] = content[4], content[3]
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.first_bad_line) == (False, 4)
    assert "chain broken" in report.problem


def test_inserted_line_breaks_the_chain(log: AuditLog, path: Path) -> None:
    write(log, 6)
    content = lines(path)
    content.insert(2, content[0])
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.first_bad_line) == (False, 3)
    assert "found record 1 where record 3 belongs" in report.problem


def test_truncated_tail_is_caught_by_the_checkpoint(log: AuditLog, path: Path) -> None:
    write(log, 6)
    _rewrite(path, lines(path)[:4])
    report = log.verify()
    assert (report.ok, report.count, report.first_bad_line) == (False, 4, 5)
    assert "checkpoint says 6 (truncated tail)" in report.problem
    # Without the checkpoint the shorter log is a valid chain: that is why it exists.
    assert AuditLog(path).verify().ok


def test_appending_after_truncation_is_refused(log: AuditLog, path: Path) -> None:
    write(log, 4)
    log.close()
    _rewrite(path, lines(path)[:2])
    before = path.read_bytes()
    with pytest.raises(AuditIntegrityError, match="removed or rewritten"):
        write(log, 1)
    assert path.read_bytes() == before


def test_archive_after_truncation_keeps_the_evidence_and_starts_a_new_chain(
    log: AuditLog, path: Path, checkpoint: MemoryCheckpoint
) -> None:
    write(log, 4)
    _rewrite(path, lines(path)[:2])
    damaged = path.read_bytes()
    archived = log.archive()
    assert archived == path.with_name("audit.jsonl.20250301T120005Z")
    assert archived.read_bytes() == damaged
    assert not path.exists()
    assert checkpoint.get() == Checkpoint(0, GENESIS_HASH)
    assert log.verify() == VerifyReport(True, 0, None, "")
    write(log, 2)
    assert json.loads(lines(path)[0])["prev_hash"] == GENESIS_HASH
    report = log.verify()
    assert (report.ok, report.count) == (True, 2)


def test_archive_by_another_writer_redirects_later_appends(
    path: Path, checkpoint: MemoryCheckpoint
) -> None:
    app = AuditLog(path, checkpoint=checkpoint, clock=Clock())
    cli = AuditLog(path, checkpoint=checkpoint, clock=Clock())
    write(app, 3)
    archived = cli.archive()
    write(app, 1)  # the app still holds a descriptor of the renamed file
    assert len(lines(archived)) == 3
    assert [json.loads(line)["seq"] for line in lines(path)] == [1]
    assert app.verify().ok and AuditLog(archived).verify().count == 3
    app.close()


def test_archive_twice_in_one_second_keeps_both(path: Path) -> None:
    frozen = AuditLog(path, clock=lambda: T0)
    write(frozen, 1)
    first = frozen.archive()
    write(frozen, 1)
    second = frozen.archive()
    assert first != second and first.exists() and second.exists()
    frozen.close()


def test_archive_without_a_log_resets_the_checkpoint(path: Path) -> None:
    checkpoint = MemoryCheckpoint(Checkpoint(5, "a" * 64))
    assert AuditLog(path, checkpoint=checkpoint).archive() is None
    assert checkpoint.get() == Checkpoint(0, GENESIS_HASH)


def test_malformed_middle_line(log: AuditLog, path: Path) -> None:
    write(log, 3)
    content = lines(path)
    content.insert(1, b"not json at all\n")
    _rewrite(path, content)
    report = log.verify()
    assert (report.ok, report.first_bad_line) == (False, 2)
    assert report.problem == ("record 2 (line 2): malformed line (not a hash-chained audit record)")


def test_every_single_byte_change_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    checkpoint = MemoryCheckpoint()
    log = AuditLog(path, checkpoint=checkpoint, clock=Clock())
    write(log, 3)
    log.close()
    original = path.read_bytes()
    assert AuditLog(path, checkpoint=checkpoint).verify().ok
    missed = []
    for position in range(len(original)):
        changed = bytearray(original)
        changed[position] ^= 0x01
        path.write_bytes(bytes(changed))
        if AuditLog(path, checkpoint=checkpoint).verify().ok:
            missed.append(position)
    assert missed == []


def test_missing_checkpoint_for_existing_records_fails(log: AuditLog, path: Path) -> None:
    write(log, 2)
    report = AuditLog(path, checkpoint=MemoryCheckpoint()).verify()
    assert (report.ok, report.count) == (False, 2)
    assert "no head checkpoint" in report.problem


def test_unreadable_checkpoint_fails_verify_and_append(tmp_path: Path, path: Path) -> None:
    with ConversationStore(tmp_path / "db.sqlite") as store:
        log = AuditLog(path, checkpoint=MetaCheckpoint(store))
        write(log, 1)
        log.close()
        store.set_meta(AUDIT_HEAD_KEY, "{garbage")
        report = log.verify()
        assert not report.ok and "checkpoint" in report.problem and "unreadable" in report.problem
        with pytest.raises(AuditIntegrityError, match="unreadable"):
            write(log, 1)
        log.close()


def test_records_after_an_unsaved_checkpoint_are_noted_not_failed(
    log: AuditLog, path: Path, checkpoint: MemoryCheckpoint
) -> None:
    write(log, 2)
    saved = checkpoint.get()
    write(log, 1)
    checkpoint.set(saved)  # as if the process died between the fsync and the checkpoint
    report = log.verify()
    assert (report.ok, report.count) == (True, 3)
    assert report.notes and "1 record(s) after the checkpoint" in report.notes[0]


# -- torn final line (crash mid-write) ------------------------------------------------------


def test_torn_final_line_is_reported_then_set_aside(
    log: AuditLog, path: Path, checkpoint: MemoryCheckpoint
) -> None:
    write(log, 3)
    log.close()
    whole = path.read_bytes()
    torn = b'{"action":"chat.read_synthesis","audit_id":"abc'
    path.write_bytes(whole + torn)
    report = AuditLog(path, checkpoint=checkpoint).verify()
    assert (report.ok, report.count, report.first_bad_line) == (False, 3, 4)
    assert report.problem.startswith("record 4 (line 4): incomplete append")
    assert "audit.jsonl.incomplete" in report.problem

    resumed = AuditLog(path, checkpoint=checkpoint, clock=Clock())
    write(resumed, 1, start=3)
    report = resumed.verify()
    assert (report.ok, report.count) == (True, 4)
    assert any("incomplete" in note for note in report.notes)
    assert resumed.incomplete_path.read_bytes() == torn + b"\n"
    assert path.read_bytes().startswith(whole)
    assert json.loads(lines(path)[-1])["seq"] == 4
    resumed.close()


def test_torn_line_after_a_cut_tail_is_reported_as_truncation(log: AuditLog, path: Path):
    write(log, 4)
    content = lines(path)
    _rewrite(path, [*content[:2], content[2][:40]])
    report = log.verify()
    assert (report.ok, report.count, report.first_bad_line) == (False, 2, 3)
    assert "truncated tail" in report.problem


# -- reading --------------------------------------------------------------------------------


def test_tail_and_iter_records(log: AuditLog) -> None:
    write(log, 7)
    assert [r["seq"] for r in log.tail(3)] == [5, 6, 7]
    assert [r["seq"] for r in log.tail(100)] == list(range(1, 8))
    assert log.tail(0) == []
    assert [r["seq"] for r in log.iter_records()] == list(range(1, 8))


def test_tail_reads_across_chunk_boundaries(log: AuditLog, path: Path) -> None:
    for i in range(30):
        log.record(AuditEventType.APPROVAL, user_id="u", metadata={"pad": "x " * 700, "i": i})
    assert [r["metadata"]["i"] for r in log.tail(12)] == list(range(18, 30))
    assert path.stat().st_size > 3 * 8192


def test_tail_skips_a_torn_last_line(log: AuditLog, path: Path) -> None:
    write(log, 3)
    with path.open("ab") as handle:
        handle.write(b'{"torn')
    assert [r["seq"] for r in log.tail(2)] == [2, 3]


# -- secrets never reach the file ------------------------------------------------------------


def test_no_key_or_key_like_string_is_written(log: AuditLog, path: Path) -> None:
    keys = [
        "nvapi-" + "Q7wErTy8uIoP9aSdFgH0jKlZxCvBnM12" * 2,
        "sk-ant-api03-" + "z9Y8x7W6v5U4t3S2r1Q0" * 3,
        "AKIAIOSFODNN7EXAMPLE",
        "Zq81nB4xL0pW7sT2vK9mR3cY6hJ5dF8g",
    ]
    user_message = f"here is my key {keys[0]} and also Bearer {keys[3]} thanks"
    log.record(
        AuditEventType.CREDENTIAL_CHANGE,
        user_id="alice",
        action=f"add {keys[1]}",
        decision="allow",
        target_resources=[keys[2]],
        metadata={
            "user_message": user_message,
            "nested": [{"deep": keys[1]}],
            "api_key": keys[3],
            "masked": "nvapi-Q7••••",
        },
    )
    written = path.read_text(encoding="utf-8")
    for key in keys:
        assert key not in written
        assert key[:20] not in written
    record = log.tail(1)[0]
    assert record["metadata"]["user_message"] == (
        "here is my key [REDACTED] and also Bearer [REDACTED] thanks"
    )
    assert record["metadata"]["masked"] == "nvapi-Q7••••"
    assert log.verify().ok


# -- wiring ----------------------------------------------------------------------------------


def test_open_audit_uses_settings_paths_and_the_store_meta(tmp_path: Path) -> None:
    settings = load_settings()
    assert not settings.home.exists()
    with ConversationStore(tmp_path / "x.db") as store:
        audit = open_audit(settings, store)
        sink: AuditSink = audit
        sink.record(AuditEventType.DENIAL, user_id="u", decision="deny")
        assert audit.path == settings.audit_path
        assert settings.audit_path.exists()
        assert json.loads(store.get_meta(AUDIT_HEAD_KEY))["count"] == 1
        assert audit.verify().ok
        audit.close()
