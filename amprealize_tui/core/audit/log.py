"""The append-only, hash-chained audit log (JSON lines) and its verifier.

Each line is one record. Its `hash` is the SHA-256 hex of the record's canonical JSON without
`hash` (sort_keys, separators (",", ":"), ensure_ascii=False), and `prev_hash` is the previous
record's hash (64 zeros for the first). The line is written as exactly those canonical bytes
with `,"hash":"<hex>"` spliced in before the closing brace, so the verifier hashes the stored
bytes as they are: a change of even one byte anywhere, whitespace and escapes included, breaks
the record. `seq` numbers records from 1, so the head can be found from the last line alone.

Appends are serialised across threads (a lock) and processes (flock on the log), fsynced, and
then the head (count, last hash) is checkpointed outside the log (see checkpoint.py).

A crash can leave a torn final line (no newline). `verify()` reports it as an incomplete append
and fails. The next append, if the checkpoint does not cover the torn record, moves the torn
bytes to `<log>.incomplete` (kept as evidence, never deleted) and continues the chain from the
last whole record; such a record was never acknowledged to its caller. If the checkpoint says
the log should be longer than it is, appending refuses (AuditIntegrityError): records were cut;
`archive()` (the `audit archive` command) keeps that log aside and starts a new chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amprealize_tui.core.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    CheckpointStore,
    MetaCheckpoint,
)
from amprealize_tui.core.audit.redact import redact
from amprealize_tui.core.audit.sink import AuditEventType
from amprealize_tui.core.config import Settings, ensure_home
from amprealize_tui.core.conversations.store import ConversationStore

try:
    from fcntl import LOCK_EX, LOCK_SH, LOCK_UN, flock
except ImportError:  # Windows: appends are still serialised within the process
    LOCK_EX = LOCK_SH = LOCK_UN = 0

    def flock(fd: int, operation: int) -> None:
        return None


GENESIS_HASH = "0" * 64
_HASH_OPEN = b',"hash":"'
_HASH_CLOSE = b'"}'
_SUFFIX_LEN = len(_HASH_OPEN) + 64 + len(_HASH_CLOSE)
_HEX = frozenset(b"0123456789abcdef")
_TAIL_CHUNK = 8192


class AuditLogError(Exception):
    """The audit log cannot be written or read; the message says what to do."""


class AuditIntegrityError(AuditLogError):
    """Appending refused: the log no longer matches its checkpoint (records were removed)."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    count: int  # whole, valid records before the first problem (all of them when ok)
    first_bad_line: int | None
    problem: str  # empty when ok
    notes: tuple[str, ...] = ()  # facts worth showing that do not fail verification


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _split_line(line: bytes) -> tuple[bytes, str] | None:
    """(hashed body, claimed hash) of a stored line without its newline, or None if malformed."""
    if len(line) <= _SUFFIX_LEN or not line.startswith(b"{"):
        return None
    suffix = line[-_SUFFIX_LEN:]
    claimed = suffix[len(_HASH_OPEN) : -len(_HASH_CLOSE)]
    if (
        not suffix.startswith(_HASH_OPEN)
        or not suffix.endswith(_HASH_CLOSE)
        or not _HEX.issuperset(claimed)
    ):
        return None
    return line[:-_SUFFIX_LEN] + b"}", claimed.decode("ascii")


def _parse_record(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _now() -> datetime:
    return datetime.now(UTC)


def _where(line_no: int) -> str:
    return f"record {line_no} (line {line_no})"


class AuditLog:
    """Implements the AuditSink protocol; also verifies and reads the log."""

    def __init__(
        self,
        path: Path | str,
        *,
        checkpoint: CheckpointStore | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._path = Path(path)
        self._checkpoint = checkpoint
        self._clock = clock or _now
        self._lock = threading.Lock()
        self._fd: int | None = None
        # (file size, seq, hash) after our last append; reread when the size differs.
        self._head: tuple[int, int, str] | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def incomplete_path(self) -> Path:
        return self._path.with_name(self._path.name + ".incomplete")

    def close(self) -> None:
        with self._lock:
            self._close_fd()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def record(
        self,
        event_type: AuditEventType,
        *,
        user_id: str,
        chat_scope: str | None = None,
        action: str | None = None,
        decision: str | None = None,
        target_resources: list[str] | None = None,
        conversation_id: str | None = None,
        message_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Appends one record (secrets redacted), fsyncs it, then updates the checkpoint."""
        fields = redact(
            {
                "user_id": user_id,
                "chat_scope": chat_scope,
                "action": action,
                "decision": decision,
                "target_resources": list(target_resources or []),
                "conversation_id": conversation_id,
                "message_id": message_id,
                "metadata": dict(metadata or {}),
            }
        )
        with self._lock:
            fd = self._lock_current_file()
            try:
                size, seq, prev_hash = self._current_head(fd)
                body = dict(fields)
                body.update(
                    audit_id=uuid.uuid4().hex,
                    seq=seq + 1,
                    timestamp=self._clock().astimezone(UTC).isoformat(timespec="microseconds"),
                    event_type=AuditEventType(event_type).value,
                    prev_hash=prev_hash,
                )
                canonical = _canonical(body)
                digest = hashlib.sha256(canonical).hexdigest()
                line = canonical[:-1] + _HASH_OPEN + digest.encode("ascii") + _HASH_CLOSE + b"\n"
                self._write_all(fd, line)
                os.fsync(fd)
                self._head = (size + len(line), seq + 1, digest)
                if self._checkpoint is not None:
                    self._checkpoint.set(Checkpoint(count=seq + 1, last_hash=digest))
            finally:
                flock(fd, LOCK_UN)

    def _lock_current_file(self) -> int:
        """Our descriptor of the file now at `path`, exclusively locked.

        If the log was archived (renamed) since we opened it, possibly by another process, the
        old descriptor is dropped and the new file opened, so no record lands in an archive.
        """
        while True:
            fd = self._open()
            flock(fd, LOCK_EX)
            try:
                current = os.stat(self._path)
            except FileNotFoundError:
                current = None
            opened = os.fstat(fd)
            if current is not None and (current.st_ino, current.st_dev) == (
                opened.st_ino,
                opened.st_dev,
            ):
                return fd
            flock(fd, LOCK_UN)
            self._close_fd()

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._head = None

    def _open(self) -> int:
        if self._fd is None:
            created = not self._path.exists()
            try:
                self._fd = os.open(
                    self._path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            except OSError as exc:
                raise AuditLogError(
                    f"cannot open the audit log {self._path} ({exc.strerror}); check that its "
                    "directory exists and is writable."
                ) from None
            if created:
                dir_fd = os.open(self._path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        return self._fd

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def _current_head(self, fd: int) -> tuple[int, int, str]:
        """(size, seq, hash) of the log's last whole record, repairing a torn tail if allowed."""
        size = os.fstat(fd).st_size
        if self._head is not None and self._head[0] == size:
            return self._head
        last_line, torn = _read_tail(fd, size)
        if last_line is None:
            seq, digest = 0, GENESIS_HASH
        else:
            split = _split_line(last_line)
            record = None if split is None else _parse_record(last_line)
            if split is None or record is None or not isinstance(record.get("seq"), int):
                raise AuditLogError(
                    f"the last record of the audit log {self._path} is malformed, so the chain "
                    "cannot be continued. Run `amprealize-tui audit verify` to see the problem."
                )
            seq, digest = record["seq"], split[1]
        try:
            checkpoint = None if self._checkpoint is None else self._checkpoint.get()
        except CheckpointError as exc:
            raise AuditIntegrityError(
                f"{exc} Nothing was appended; `amprealize-tui audit archive` keeps this log "
                "aside and starts a new chain."
            ) from None
        if checkpoint is not None and (
            checkpoint.count > seq or (checkpoint.count == seq and checkpoint.last_hash != digest)
        ):
            raise AuditIntegrityError(
                f"the audit log {self._path} ends at record {seq} but its checkpoint expects "
                f"{checkpoint.count} records with a different last hash: records were removed or "
                "rewritten. Nothing was appended. Run `amprealize-tui audit verify` to see what "
                "changed, then `amprealize-tui audit archive` to keep this log aside and start "
                "a new chain."
            )
        if torn:
            with self.incomplete_path.open("ab") as sidecar:
                sidecar.write(torn + b"\n")
                sidecar.flush()
                os.fsync(sidecar.fileno())
            size -= len(torn)
            os.ftruncate(fd, size)
        return size, seq, digest

    def archive(self) -> Path | None:
        """Sets the log aside (renamed, kept) and resets the checkpoint: a new chain begins.

        This is the way out after verify reports tampering or damage: the evidence is kept
        under a new name and the app can audit again. Returns the new name, or None when
        there was no log (the checkpoint is reset either way).
        """
        with self._lock:
            if not self._path.exists():
                self._reset_checkpoint()
                return None
            fd = self._lock_current_file()
            stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            archived = self._path.with_name(f"{self._path.name}.{stamp}")
            suffix = 1
            while archived.exists():
                suffix += 1
                archived = self._path.with_name(f"{self._path.name}.{stamp}-{suffix}")
            try:
                os.rename(self._path, archived)
                self._reset_checkpoint()
            finally:
                flock(fd, LOCK_UN)
                self._close_fd()
            return archived

    def _reset_checkpoint(self) -> None:
        if self._checkpoint is not None:
            self._checkpoint.set(Checkpoint(count=0, last_hash=GENESIS_HASH))

    # -- reading -----------------------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Checks every record's hash, the chain, the numbering and the checkpoint.

        Holds a shared lock on the log while reading, so an append in progress (which holds
        the exclusive lock until its checkpoint is saved) is seen whole or not at all.
        """
        try:
            handle = self._path.open("rb")
        except FileNotFoundError:
            return self._verify_lines([])
        with handle:
            flock(handle.fileno(), LOCK_SH)
            return self._verify_lines(handle)

    def _verify_lines(self, lines: Iterable[bytes]) -> VerifyReport:
        try:
            checkpoint = None if self._checkpoint is None else self._checkpoint.get()
        except CheckpointError as exc:
            return VerifyReport(False, 0, None, str(exc))
        prev = GENESIS_HASH
        at_checkpoint = GENESIS_HASH
        count = 0
        for line_no, raw in enumerate(lines, start=1):
            if not raw.endswith(b"\n"):
                return self._torn_report(line_no, count, checkpoint)
            line = raw[:-1]
            split = _split_line(line)
            record = None if split is None else _parse_record(split[0])
            if split is None or record is None:
                return VerifyReport(
                    False,
                    count,
                    line_no,
                    f"{_where(line_no)}: malformed line (not a hash-chained audit record)",
                )
            body, claimed = split
            if hashlib.sha256(body).hexdigest() != claimed:
                return VerifyReport(
                    False, count, line_no, f"{_where(line_no)}: hash mismatch (edited)"
                )
            if record.get("prev_hash") != prev or record.get("seq") != line_no:
                found = record.get("seq")
                return VerifyReport(
                    False,
                    count,
                    line_no,
                    f"{_where(line_no)}: chain broken: found record {found} where record "
                    f"{line_no} belongs (records deleted, inserted or reordered)",
                )
            prev = claimed
            count = line_no
            if checkpoint is not None and line_no == checkpoint.count:
                at_checkpoint = claimed
        return self._check_head(count, at_checkpoint, checkpoint)

    def _torn_report(self, line_no: int, count: int, checkpoint: Checkpoint | None) -> VerifyReport:
        if checkpoint is not None and checkpoint.count > count:
            return self._truncated(count, checkpoint)
        return VerifyReport(
            False,
            count,
            line_no,
            f"{_where(line_no)}: incomplete append: the last line is cut off (no newline), as "
            "after a crash during a write; it was never checkpointed. The next append moves it "
            f"to {self.incomplete_path.name}.",
        )

    @staticmethod
    def _truncated(count: int, checkpoint: Checkpoint) -> VerifyReport:
        return VerifyReport(
            False,
            count,
            count + 1,
            f"record {count + 1}: missing: the log has {count} whole records but the checkpoint "
            f"says {checkpoint.count} (truncated tail)",
        )

    def _check_head(
        self, count: int, hash_at_checkpoint: str, checkpoint: Checkpoint | None
    ) -> VerifyReport:
        if self._checkpoint is not None and checkpoint is None and count > 0:
            return VerifyReport(
                False,
                count,
                None,
                f"no head checkpoint for {count} records: the database holding it was replaced "
                "or reset, so a cut-off tail could not be detected",
            )
        if checkpoint is None:
            return VerifyReport(True, count, None, "")
        if checkpoint.count > count:
            return self._truncated(count, checkpoint)
        if checkpoint.last_hash != hash_at_checkpoint:
            return VerifyReport(
                False,
                count,
                checkpoint.count or None,
                f"{_where(checkpoint.count)}: checkpoint mismatch: its hash differs from the "
                "checkpointed head (log rewritten)",
            )
        notes: tuple[str, ...] = ()
        if count > checkpoint.count:
            notes = (
                f"{count - checkpoint.count} record(s) after the checkpoint (a write finished "
                "but its checkpoint update did not, e.g. a crash)",
            )
        if self.incomplete_path.exists():
            notes += (f"torn records from earlier crashes are kept in {self.incomplete_path}",)
        return VerifyReport(True, count, None, "", notes)

    def iter_records(self) -> Iterator[dict[str, Any]]:
        """Every parseable record in file order; unparseable lines are skipped (see verify)."""
        try:
            handle = self._path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for raw in handle:
                record = _parse_record(raw)
                if record is not None:
                    yield record

    def tail(self, n: int = 50) -> list[dict[str, Any]]:
        """The last `n` parseable records, oldest first; reads only the end of the file."""
        if n < 1:
            return []
        try:
            handle = self._path.open("rb")
        except FileNotFoundError:
            return []
        with handle:
            end = handle.seek(0, os.SEEK_END)
            data = b""
            position = end
            while position > 0 and data.count(b"\n") <= n + 1:
                step = min(_TAIL_CHUNK, position)
                position -= step
                handle.seek(position)
                data = handle.read(step) + data
        lines = data.split(b"\n")
        if position > 0:
            lines = lines[1:]  # the first piece may be the end of an earlier line
        records = [r for r in map(_parse_record, lines) if r is not None]
        return records[-n:]


def _read_tail(fd: int, size: int) -> tuple[bytes | None, bytes]:
    """(last whole line without newline or None, torn bytes after it) of the file."""
    data = b""
    position = size
    while position > 0:
        step = min(_TAIL_CHUNK, position)
        position -= step
        data = os.pread(fd, step, position) + data
        if data.count(b"\n") >= 2:
            break
    if b"\n" not in data:
        return None, data  # no whole line at all: everything is torn
    torn_start = data.rfind(b"\n") + 1
    torn = data[torn_start:]
    whole = data[: torn_start - 1]
    return whole[whole.rfind(b"\n") + 1 :], torn


def open_audit(
    settings: Settings,
    store: ConversationStore,
    *,
    clock: Callable[[], datetime] | None = None,
) -> AuditLog:
    """The app's audit log, checkpointed in the conversation database's meta table."""
    ensure_home(settings)
    return AuditLog(settings.audit_path, checkpoint=MetaCheckpoint(store), clock=clock)
