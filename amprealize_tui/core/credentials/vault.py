"""The BYOK credential vault: API keys encrypted with AES-256-GCM under a data key kept in the OS
keyring, one record per (scope, scope_id, provider), in a private JSON file written atomically.

Records that cannot be decrypted (data key missing or replaced, file altered) are shown as
"locked" and block resolution; the vault never drops or rewrites them on its own.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keyring.backend import KeyringBackend

from amprealize_tui.core.audit.sink import AuditEventType, AuditSink, NullAuditSink
from amprealize_tui.core.config import Settings, ensure_home
from amprealize_tui.core.credentials import vault_file
from amprealize_tui.core.credentials.crypto import (
    DecryptionFailed,
    decrypt,
    encrypt,
    key_fingerprint,
)
from amprealize_tui.core.credentials.keyring_backend import DataKeyStore, KeyringStatus
from amprealize_tui.core.credentials.masking import mask_key
from amprealize_tui.core.credentials.records import (
    ChangeOperation,
    CredentialChange,
    KeyRecordView,
    RecordStatus,
    StoredRecord,
    VaultDocument,
    associated_data,
)
from amprealize_tui.core.credentials.types import (
    CredentialBlocked,
    CredentialScope,
    ResolvedCredential,
    Secret,
)
from amprealize_tui.core.credentials.validation import (
    validate_key,
    validate_name,
    validate_provider,
    validate_reason,
    validate_scope,
)
from amprealize_tui.core.credentials.vault_errors import (
    KeyringUnavailable,
    RecordLocked,
    RecordNotFound,
)

Clock = Callable[[], datetime]
ChangeCallback = Callable[[CredentialChange], None]

AUTH_FAILURE_LIMIT = 3
CONSECUTIVE_FAILURES = "consecutive_failures"
# last_used_at is persisted at this resolution so that resolving on every message does not
# rewrite the vault file every time.
LAST_USED_RESOLUTION = timedelta(minutes=1)
REENABLE_HINT = "Settings (F2) in the app, or `amprealize-tui keys enable {id}`"

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _KeyState:
    key: bytes | None
    problem: str | None = None
    keyring_refused: bool = False  # the keyring would not answer (locked): not a lost key


@dataclass(slots=True)
class _Transaction:
    document: VaultDocument
    dirty: bool = False

    def record(self, record_id: str) -> StoredRecord:
        record = self.document.find(record_id)
        if record is None:
            raise _not_found(record_id)
        return record


class CredentialVault:
    def __init__(
        self,
        path: Path,
        *,
        keyring_backend: KeyringBackend | None = None,
        audit: AuditSink | None = None,
        user_id: str = "local",
        clock: Clock = _utc_now,
    ) -> None:
        self._path = Path(path)
        self._keys = DataKeyStore(keyring_backend)
        self._audit: AuditSink = audit or NullAuditSink()
        self.user_id = user_id
        self._clock = clock
        self._lock = threading.RLock()
        self._subscribers: list[ChangeCallback] = []
        self._cache: tuple[vault_file.FileSignature | None, VaultDocument | None] | None = None
        self._cached_key: tuple[str, bytes] | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def keyring_status(self) -> KeyringStatus:
        return self._keys.status()

    # -- reading -------------------------------------------------------------------------------

    def list_records(self) -> list[KeyRecordView]:
        """Every record, disabled and locked ones included, in the order they were added."""
        with self._lock:
            document = self._load()
            if document is None:
                return []
            state = self._key_state(document)  # one keyring read (or refusal) for the list
            return [self._view(document, record, state) for record in document.records]

    def get_record(self, record_id: str) -> KeyRecordView:
        with self._lock:
            document = self._load()
            record = document.find(record_id) if document else None
            if document is None or record is None:
                raise _not_found(record_id)
            return self._view(document, record)

    def credential_for(
        self, provider: str, scope: CredentialScope, scope_id: str, *, mark_used: bool = True
    ) -> ResolvedCredential | None:
        """The key stored for exactly this scope, or None when there is none.

        A record that exists but is disabled or cannot be decrypted raises CredentialBlocked:
        the caller must not look further (fail closed). A success stamps last_used_at unless
        mark_used is False (an availability check, not a use).
        """
        with self._lock:
            document = self._load()
            record = document.find_scoped(provider, scope, scope_id) if document else None
            if document is None or record is None:
                return None
            hint = REENABLE_HINT.format(id=record.id)
            try:
                secret = self._unseal(document, record)
            except RecordLocked as exc:
                problem = str(exc).rstrip(".")
                reason = (
                    f"stored but cannot be read now: {problem}"
                    if exc.keyring_refused
                    else f"configured but locked: {problem}. Enter the key again ({hint}) or "
                    "delete it"
                )
                raise CredentialBlocked(provider, scope, reason, record.id) from None
            if not record.enabled:
                raise CredentialBlocked(
                    provider,
                    scope,
                    f"configured but {_disabled_text(record.disabled_reason)}; re-enable it "
                    f"with a new key or a successful verification ({hint})",
                    record.id,
                )
            if mark_used:
                self._stamp_last_used(record)
            return ResolvedCredential(provider, scope, secret, record.id)

    def unseal(self, record_id: str) -> ResolvedCredential:
        """The stored key of a record whatever its enabled state (to verify it); raises
        RecordLocked when it cannot be decrypted. Does not count as a use."""
        with self._lock:
            document = self._load()
            record = document.find(record_id) if document else None
            if document is None or record is None:
                raise _not_found(record_id)
            secret = self._unseal(document, record)
            return ResolvedCredential(
                record.provider, CredentialScope(record.scope), secret, record.id
            )

    # -- changing ------------------------------------------------------------------------------

    def save(
        self,
        provider: str,
        key: str,
        *,
        scope: CredentialScope | str = CredentialScope.USER,
        scope_id: str | None = None,
        name: str | None = None,
    ) -> KeyRecordView:
        """Store a key; a key already stored for the same (scope, scope_id, provider) is
        replaced, keeping its id, and its failures are reset."""
        provider = validate_provider(provider)
        scope_value, scope_id = validate_scope(scope, scope_id, user_id=self.user_id)
        key = validate_key(key)
        name = validate_name(name)
        with self._transaction() as txn:
            data_key = self._writable_key(txn.document)
            existing = txn.document.find_scoped(provider, scope_value, scope_id)
            if existing is None:
                record_id = self._new_id(txn.document)
                aad = associated_data(record_id, scope_value.value, scope_id, provider)
                record = StoredRecord(
                    id=record_id,
                    scope=scope_value.value,
                    scope_id=scope_id,
                    provider=provider,
                    name=name,
                    created_at=self._clock(),
                    **_sealed_fields(key, data_key, aad),
                )
                txn.document.records.append(record)
            else:
                record = existing
                record.name = name or record.name
                self._seal(record, key, data_key)
            txn.dirty = True
        self._announce(ChangeOperation.ADD if existing is None else ChangeOperation.REPLACE, record)
        return self._active_view(record)

    def delete(self, record_id: str) -> None:
        """Remove a record, locked ones included; needs no keyring access."""
        with self._transaction() as txn:
            record = txn.record(record_id)
            txn.document.records.remove(record)
            txn.dirty = True
        self._announce(ChangeOperation.DELETE, record)

    def disable(self, record_id: str, reason: str) -> None:
        """Stop using a record until it is re-enabled. Disabling a disabled record is a no-op."""
        reason = validate_reason(reason)
        with self._transaction() as txn:
            record = txn.record(record_id)
            if not record.enabled:
                return
            record.enabled = False
            record.disabled_reason = reason
            txn.dirty = True
        self._announce(ChangeOperation.DISABLE, record, reason=reason)

    def enable_with_new_key(self, record_id: str, key: str) -> KeyRecordView:
        """Re-enable a disabled or locked record by storing a new key in it."""
        key = validate_key(key)
        with self._transaction() as txn:
            record = txn.record(record_id)
            self._seal(record, key, self._writable_key(txn.document))
            txn.dirty = True
        self._announce(ChangeOperation.ENABLE, record)
        return self._active_view(record)

    def mark_verified(self, record_id: str) -> None:
        """The stored key was just verified with its provider: re-enable it, reset failures."""
        with self._transaction() as txn:
            record = txn.record(record_id)
            self._unseal(txn.document, record)
            was_disabled = not record.enabled
            if not was_disabled and record.failure_count == 0:
                return
            self._reset(record)
            txn.dirty = True
        if was_disabled:
            self._announce(ChangeOperation.ENABLE, record)

    def report_auth_result(self, record_id: str, ok: bool, *, secret: Secret | None = None) -> None:
        """Count consecutive authentication failures (401/403); the third disables the record.

        `secret` is the key the answer was for: when the record has been given another key
        meanwhile, the stale result is ignored.
        """
        with self._lock:
            document = self._load()
            current = document.find(record_id) if document else None
            if current is None or (ok and current.failure_count == 0):
                return
            disabled_now = False
            with self._transaction() as txn:
                record = txn.document.find(record_id)
                if record is None or not self._is_same_key(txn.document, record, secret):
                    return
                if ok:
                    record.failure_count = 0
                else:
                    record.failure_count += 1
                    if record.enabled and record.failure_count >= AUTH_FAILURE_LIMIT:
                        record.enabled = False
                        record.disabled_reason = CONSECUTIVE_FAILURES
                        disabled_now = True
                txn.dirty = True
        if disabled_now:
            self._announce(ChangeOperation.DISABLE, record, reason=CONSECUTIVE_FAILURES)

    def subscribe(self, callback: ChangeCallback) -> Callable[[], None]:
        """Call `callback` once per change; returns a function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    # -- internals -----------------------------------------------------------------------------

    def _load(self) -> VaultDocument | None:
        signature = vault_file.signature(self._path)
        if self._cache is None or self._cache[0] != signature:
            self._cache = (signature, vault_file.read_document(self._path))
        return self._cache[1]

    @contextmanager
    def _transaction(self) -> Iterator[_Transaction]:
        """Read-modify-write under the file lock, on a copy; written only when marked dirty."""
        with self._lock, vault_file.locked(self._path):
            current = self._load()
            document = (
                current.model_copy(deep=True)
                if current is not None
                else VaultDocument(vault_id=secrets.token_hex(16))
            )
            txn = _Transaction(document)
            yield txn
            if txn.dirty:
                vault_file.remove_stale_temp_files(self._path.parent)
                vault_file.write_document(self._path, document)
                self._cache = (vault_file.signature(self._path), document)

    @staticmethod
    def _new_id(document: VaultDocument) -> str:
        while True:
            record_id = f"k_{secrets.token_hex(6)}"
            if document.find(record_id) is None:
                return record_id

    @staticmethod
    def _keyring_entry(document: VaultDocument) -> str:
        return f"data-key-{document.vault_id}"

    def _key_state(self, document: VaultDocument, *, fresh: bool = False) -> _KeyState:
        if not fresh and self._cached_key and self._cached_key[0] == document.vault_id:
            return _KeyState(self._cached_key[1])
        try:
            key = self._keys.load(self._keyring_entry(document))
        except KeyringUnavailable as exc:
            return _KeyState(None, str(exc), keyring_refused=True)
        if key is None:
            return _KeyState(
                None,
                "the vault's data key is missing from the OS keyring (the entry was deleted, "
                "or the vault file comes from another machine or user)",
            )
        self._cached_key = (document.vault_id, key)
        return _KeyState(key)

    def _writable_key(self, document: VaultDocument) -> bytes:
        """The data key to encrypt with, created in the keyring on first use. Raises
        KeyringUnavailable when the keyring cannot hold one."""
        entry = self._keyring_entry(document)
        key = self._keys.load(entry) or self._keys.create(entry)
        self._cached_key = (document.vault_id, key)
        return key

    def _unseal(
        self, document: VaultDocument, record: StoredRecord, state: _KeyState | None = None
    ) -> Secret:
        state = state or self._key_state(document)
        if state.key is not None and record.key_id != key_fingerprint(state.key):
            state = self._key_state(document, fresh=True)  # another process may have made one
        if state.key is None:
            raise RecordLocked(
                state.problem or "the vault's data key is unavailable",
                keyring_refused=state.keyring_refused,
            )
        if record.key_id != key_fingerprint(state.key):
            raise RecordLocked(
                "it was encrypted under a different data key than the one in the OS keyring "
                "(the keyring entry was replaced)"
            )
        try:
            return Secret(decrypt(state.key, record.ciphertext, record.associated_data()))
        except DecryptionFailed:
            raise RecordLocked(
                "its ciphertext does not authenticate (the vault file was altered, or the "
                "ciphertext belongs to another record)"
            ) from None

    def _seal(self, record: StoredRecord, key: str, data_key: bytes) -> None:
        for field, value in _sealed_fields(key, data_key, record.associated_data()).items():
            setattr(record, field, value)
        self._reset(record)

    @staticmethod
    def _reset(record: StoredRecord) -> None:
        record.enabled = True
        record.disabled_reason = None
        record.failure_count = 0

    def _is_same_key(
        self, document: VaultDocument, record: StoredRecord, secret: Secret | None
    ) -> bool:
        if secret is None:
            return True
        try:
            return self._unseal(document, record) == secret
        except RecordLocked:
            return False

    def _stamp_last_used(self, record: StoredRecord) -> None:
        now = self._clock()
        if record.last_used_at is not None and now - record.last_used_at < LAST_USED_RESOLUTION:
            return
        try:
            with self._transaction() as txn:
                stored = txn.document.find(record.id)
                if stored is not None:
                    stored.last_used_at = now
                    txn.dirty = True
        except OSError as exc:  # a usage stamp must not stop the reply that uses the key
            log.warning("Could not record last use of key %s: %s", record.id, exc)

    def _view(
        self, document: VaultDocument, record: StoredRecord, state: _KeyState | None = None
    ) -> KeyRecordView:
        try:
            self._unseal(document, record, state)
        except RecordLocked as exc:
            return _view_of(record, RecordStatus.LOCKED, locked_reason=str(exc))
        return _view_of(record, RecordStatus.ACTIVE if record.enabled else RecordStatus.DISABLED)

    @staticmethod
    def _active_view(record: StoredRecord) -> KeyRecordView:
        return _view_of(record, RecordStatus.ACTIVE)

    def _announce(
        self, operation: ChangeOperation, record: StoredRecord, *, reason: str | None = None
    ) -> None:
        change = CredentialChange(
            operation,
            record.id,
            record.provider,
            CredentialScope(record.scope),
            record.scope_id,
            record.key_prefix,
        )
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(change)
            except Exception:  # one broken listener must not hide the change from the others
                log.exception("Credential change subscriber %r failed", callback)
        metadata: dict[str, object] = {
            "operation": operation.value,
            "provider": record.provider,
            "scope": record.scope,
            "scope_id": record.scope_id,
            "record_id": record.id,
            "masked_key": record.key_prefix,
        }
        if reason is not None:
            metadata["reason"] = reason
        self._audit.record(
            AuditEventType.CREDENTIAL_CHANGE,
            user_id=self.user_id,
            action=operation.value,
            decision=operation.value,
            target_resources=[f"credential:{record.id}"],
            metadata=metadata,
        )


def _not_found(record_id: str) -> RecordNotFound:
    return RecordNotFound(
        f"No stored key has id {record_id!r}; run `amprealize-tui keys list` to see the ids."
    )


def _sealed_fields(key: str, data_key: bytes, aad: bytes) -> dict[str, str]:
    return {
        "ciphertext": encrypt(data_key, key, aad),
        "key_id": key_fingerprint(data_key),
        "key_prefix": mask_key(key),
    }


def _disabled_text(reason: str | None) -> str:
    if reason == CONSECUTIVE_FAILURES:
        return f"disabled after {AUTH_FAILURE_LIMIT} consecutive authentication failures"
    return f"disabled ({reason})" if reason else "disabled"


def _view_of(
    record: StoredRecord, status: RecordStatus, *, locked_reason: str | None = None
) -> KeyRecordView:
    return KeyRecordView(
        id=record.id,
        scope=CredentialScope(record.scope),
        scope_id=record.scope_id,
        provider=record.provider,
        name=record.name,
        masked=record.key_prefix,
        status=status,
        disabled_reason=record.disabled_reason,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
        failure_count=record.failure_count,
        locked_reason=locked_reason,
    )


def open_vault(
    settings: Settings,
    audit: AuditSink | None = None,
    *,
    keyring_backend: KeyringBackend | None = None,
    clock: Clock | None = None,
) -> CredentialVault:
    """The vault in the data directory (created 0700 if needed), for the CLI and the app."""
    ensure_home(settings)
    return CredentialVault(
        settings.vault_path,
        keyring_backend=keyring_backend,
        audit=audit,
        user_id=settings.user_id,
        clock=clock or _utc_now,
    )
