"""The credential vault: encryption, binding, tamper and key-loss handling, files, events."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from amprealize_tui.core.audit.sink import AuditEventType
from amprealize_tui.core.credentials import vault_file
from amprealize_tui.core.credentials.crypto import encode_data_key, new_data_key
from amprealize_tui.core.credentials.keyring_backend import KEYRING_SERVICE
from amprealize_tui.core.credentials.records import ChangeOperation, CredentialChange, RecordStatus
from amprealize_tui.core.credentials.types import CredentialBlocked, CredentialScope
from amprealize_tui.core.credentials.vault import CONSECUTIVE_FAILURES, LAST_USED_RESOLUTION
from amprealize_tui.core.credentials.vault_errors import (
    InvalidKeyInput,
    KeyringUnavailable,
    RecordLocked,
    RecordNotFound,
    VaultFileCorrupt,
)
from tests.vault_helpers import (
    NVIDIA_KEY,
    OTHER_KEY,
    Clock,
    MemoryKeyring,
    RecordingAudit,
    files_under,
    make_vault,
)

USER = CredentialScope.USER


@pytest.fixture
def backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "vault.json"


def _raw(path: Path) -> dict:
    return json.loads(path.read_text())


def _write_raw(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data))


def test_round_trip_through_a_fresh_vault(vault_path: Path, backend: MemoryKeyring) -> None:
    view = make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY, name="work")
    assert (view.provider, view.scope_id, view.name) == ("nvidia", "alice", "work")
    assert view.scope is USER
    assert view.status is RecordStatus.ACTIVE
    assert view.masked == "nvapi-Ab••••"

    fresh = make_vault(vault_path, backend)
    credential = fresh.credential_for("nvidia", USER, "alice")
    assert credential is not None
    assert credential.secret.reveal() == NVIDIA_KEY
    assert (credential.scope, credential.record_id) == (USER, view.id)
    assert [r.id for r in fresh.list_records()] == [view.id]
    assert fresh.credential_for("openai", USER, "alice") is None


def test_the_key_never_reaches_the_file_or_a_repr(vault_path: Path, backend: MemoryKeyring) -> None:
    vault = make_vault(vault_path, backend)
    view = vault.save("nvidia", NVIDIA_KEY)
    needles = [NVIDIA_KEY.encode(), base64.b64encode(NVIDIA_KEY.encode()), NVIDIA_KEY[8:].encode()]
    for path in files_under(vault_path.parent):
        content = path.read_bytes()
        assert not any(n in content for n in needles), path
    record = _raw(vault_path)["records"][0]
    assert record["key_prefix"] == "nvapi-Ab••••"
    for shown in (repr(view), repr(vault.list_records()), repr(vault.unseal(view.id))):
        assert NVIDIA_KEY not in shown
        assert record["ciphertext"] not in shown


def test_ciphertext_is_bound_to_its_record(vault_path: Path, backend: MemoryKeyring) -> None:
    vault = make_vault(vault_path, backend)
    first = vault.save("nvidia", NVIDIA_KEY)
    second = vault.save("openai", OTHER_KEY)
    data = _raw(vault_path)
    a, b = data["records"]
    a["ciphertext"], b["ciphertext"] = b["ciphertext"], a["ciphertext"]
    _write_raw(vault_path, data)
    before = vault_path.read_bytes()

    views = {v.id: v for v in make_vault(vault_path, backend).list_records()}
    assert views[first.id].status is RecordStatus.LOCKED
    assert views[second.id].status is RecordStatus.LOCKED
    assert "does not authenticate" in (views[first.id].locked_reason or "")
    with pytest.raises(CredentialBlocked) as blocked:
        make_vault(vault_path, backend).credential_for("nvidia", USER, "alice")
    assert "locked" in str(blocked.value)
    assert vault_path.read_bytes() == before


def test_a_flipped_ciphertext_byte_locks_the_record(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    view = make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    data = _raw(vault_path)
    raw = bytearray(base64.b64decode(data["records"][0]["ciphertext"]))
    raw[-5] ^= 0x01
    data["records"][0]["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    _write_raw(vault_path, data)

    vault = make_vault(vault_path, backend)
    assert vault.get_record(view.id).status is RecordStatus.LOCKED
    with pytest.raises(RecordLocked):
        vault.unseal(view.id)


def test_bad_json_is_named_and_never_overwritten(vault_path: Path, backend: MemoryKeyring) -> None:
    make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    vault_path.write_text('{"format": 1, "records": [')
    vault = make_vault(vault_path, backend)
    with pytest.raises(VaultFileCorrupt) as listed:
        vault.list_records()
    assert str(vault_path) in str(listed.value)
    assert "left untouched" in str(listed.value)
    with pytest.raises(VaultFileCorrupt):
        vault.save("openai", OTHER_KEY)
    assert vault_path.read_text() == '{"format": 1, "records": ['


def test_a_structurally_wrong_file_names_the_problem(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    data = _raw(vault_path)
    data["records"][0]["scope"] = "galaxy"
    _write_raw(vault_path, data)
    with pytest.raises(VaultFileCorrupt) as exc:
        make_vault(vault_path, backend).list_records()
    assert "records.0.scope" in str(exc.value)


def test_a_replaced_data_key_locks_records_and_deletes_nothing(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    view = make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    (entry,) = backend.data_key_entries()
    backend.entries[entry] = encode_data_key(new_data_key())
    before = vault_path.read_bytes()

    vault = make_vault(vault_path, backend)
    (listed,) = vault.list_records()
    assert (listed.id, listed.status) == (view.id, RecordStatus.LOCKED)
    assert "different data key" in (listed.locked_reason or "")
    with pytest.raises(CredentialBlocked) as blocked:
        vault.credential_for("nvidia", USER, "alice")
    assert blocked.value.record_id == view.id
    assert vault_path.read_bytes() == before


def test_a_missing_data_key_locks_until_a_new_key_is_entered(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    view = make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    backend.entries.clear()

    vault = make_vault(vault_path, backend)
    assert "missing from the OS keyring" in (vault.get_record(view.id).locked_reason or "")
    other = vault.save("openai", OTHER_KEY)  # a new data key for new saves
    assert vault.get_record(other.id).status is RecordStatus.ACTIVE
    assert vault.get_record(view.id).status is RecordStatus.LOCKED

    vault.enable_with_new_key(view.id, NVIDIA_KEY)
    credential = make_vault(vault_path, backend).credential_for("nvidia", USER, "alice")
    assert credential is not None and credential.secret.reveal() == NVIDIA_KEY


def test_file_is_0600_in_a_0700_directory(vault_path: Path, backend: MemoryKeyring) -> None:
    vault_path.parent.mkdir(mode=0o755)
    make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    assert stat.S_IMODE(vault_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault_path.parent.stat().st_mode) == 0o700


def test_a_failed_rename_keeps_the_old_file_and_no_temp_file(
    vault_path: Path, backend: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(vault_path, backend)
    vault.save("nvidia", NVIDIA_KEY)
    before = vault_path.read_bytes()

    def crash(*_: object) -> None:
        raise OSError("simulated crash between write and rename")

    monkeypatch.setattr(vault_file.os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        vault.save("openai", OTHER_KEY)
    monkeypatch.undo()

    assert vault_path.read_bytes() == before
    assert sorted(p.name for p in vault_path.parent.iterdir()) == ["vault.json", "vault.json.lock"]
    assert [r.provider for r in make_vault(vault_path, backend).list_records()] == ["nvidia"]


def test_a_writer_killed_before_the_rename_leaves_the_old_vault(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    """A real process dies (SIGKILL) after writing and syncing the temp file."""
    import subprocess
    import sys
    import textwrap

    make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    before = vault_path.read_bytes()
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from amprealize_tui.core.credentials import vault_file
        from tests.vault_helpers import MemoryKeyring, make_vault
        from pathlib import Path
        backend = MemoryKeyring()
        backend.entries.update({{tuple(k): v for k, v in {list(backend.entries.items())!r}}})
        vault_file.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        make_vault(Path({str(vault_path)!r}), backend).save("openai", {OTHER_KEY!r})
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert done.returncode == -9, done.stderr.decode()
    assert vault_path.read_bytes() == before
    leftovers = list(vault_path.parent.glob(".vault-*.tmp"))
    assert len(leftovers) == 1  # what the killed writer left

    vault = make_vault(vault_path, backend)
    assert [r.provider for r in vault.list_records()] == ["nvidia"]
    vault.save("openai", OTHER_KEY)  # the next write cleans up
    assert list(vault_path.parent.glob(".vault-*.tmp")) == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"key": ""}, "empty"),
        ({"key": "   \n"}, "empty"),
        ({"key": "nvapi-abc def-ghijklmnop"}, "whitespace"),
        ({"key": "nvapi-abc\ndef-ghijklmnop"}, "line break"),
        ({"key": "nvapi-" + "x" * 4091}, "more than the 4096"),
        ({"key": "nvapi-ключ-0123456789"}, "printable ASCII"),
        ({"scope": "galaxy"}, "Unknown scope"),
        ({"scope": "platform"}, "environment"),
        ({"scope": "project"}, "needs the project id"),
        ({"scope": "org", "scope_id": " "}, "needs the org id"),
        ({"scope": "user", "scope_id": "bob"}, "belongs to the local user"),
        ({"provider": "NVIDIA!"}, "not a provider name"),
        ({"name": "two\nlines"}, "key name"),
    ],
)
def test_bad_input_is_refused_clearly(
    vault_path: Path, backend: MemoryKeyring, kwargs: dict, fragment: str
) -> None:
    args = {"provider": "nvidia", "key": NVIDIA_KEY, **kwargs}
    vault = make_vault(vault_path, backend)
    with pytest.raises(InvalidKeyInput) as exc:
        vault.save(args.pop("provider"), args.pop("key"), **args)
    assert isinstance(exc.value, ValueError)
    assert fragment in str(exc.value)
    if len(kwargs.get("key", "")) > 8:
        assert kwargs["key"].strip()[6:] not in str(exc.value)
    assert not vault_path.exists()


def test_the_longest_allowed_key_is_accepted(vault_path: Path, backend: MemoryKeyring) -> None:
    key = "k" * 4096
    view = make_vault(vault_path, backend).save("nvidia", key + "\n")
    assert make_vault(vault_path, backend).unseal(view.id).secret.reveal() == key


def test_one_key_per_scope_and_provider(vault_path: Path, backend: MemoryKeyring) -> None:
    vault = make_vault(vault_path, backend)
    first = vault.save("nvidia", NVIDIA_KEY, name="old")
    for _ in range(2):
        vault.report_auth_result(first.id, ok=False)
    replaced = vault.save("nvidia", OTHER_KEY)
    assert replaced.id == first.id
    assert (replaced.failure_count, replaced.name, replaced.masked) == (0, "old", "nvapi-Zy••••")
    project_a = vault.save("nvidia", NVIDIA_KEY, scope="project", scope_id="proj-a")
    project_b = vault.save("nvidia", NVIDIA_KEY, scope="project", scope_id="proj-b")
    org = vault.save("nvidia", NVIDIA_KEY, scope="org", scope_id="acme")
    assert len({first.id, project_a.id, project_b.id, org.id}) == 4
    assert len(vault.list_records()) == 4
    credential = vault.credential_for("nvidia", USER, "alice")
    assert credential is not None and credential.secret.reveal() == OTHER_KEY


def test_each_change_publishes_one_event_and_one_audit_record(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    audit = RecordingAudit()
    vault = make_vault(vault_path, backend, audit=audit)
    events: list[CredentialChange] = []
    unsubscribe = vault.subscribe(events.append)

    view = vault.save("nvidia", NVIDIA_KEY)
    vault.save("nvidia", OTHER_KEY)
    vault.disable(view.id, "rotating")
    vault.disable(view.id, "again")  # already disabled: no change, no event
    vault.enable_with_new_key(view.id, NVIDIA_KEY)
    vault.delete(view.id)

    expected = [
        ChangeOperation.ADD,
        ChangeOperation.REPLACE,
        ChangeOperation.DISABLE,
        ChangeOperation.ENABLE,
        ChangeOperation.DELETE,
    ]
    assert [e.operation for e in events] == expected
    assert {(e.record_id, e.provider, e.scope) for e in events} == {(view.id, "nvidia", USER)}
    assert [r["event_type"] for r in audit.records] == [AuditEventType.CREDENTIAL_CHANGE] * 5
    assert [r["metadata"]["operation"] for r in audit.records] == [op.value for op in expected]
    assert audit.records[0]["metadata"]["masked_key"] == "nvapi-Ab••••"
    assert audit.records[2]["metadata"]["reason"] == "rotating"
    assert all(r["user_id"] == "alice" for r in audit.records)
    dumped = json.dumps(audit.records, default=str)
    assert NVIDIA_KEY not in dumped and OTHER_KEY not in dumped

    unsubscribe()
    vault.save("openai", OTHER_KEY)
    assert len(events) == 5
    assert len(audit.records) == 6


def test_a_failing_subscriber_does_not_stop_the_others(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    vault = make_vault(vault_path, backend)
    seen: list[str] = []

    def broken(_: CredentialChange) -> None:
        raise RuntimeError("listener bug")

    vault.subscribe(broken)
    vault.subscribe(lambda change: seen.append(change.record_id))
    view = vault.save("nvidia", NVIDIA_KEY)
    assert seen == [view.id]


def test_three_failures_disable_and_a_success_resets(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    vault = make_vault(vault_path, backend)
    events: list[CredentialChange] = []
    vault.subscribe(events.append)
    view = vault.save("nvidia", NVIDIA_KEY)
    vault.report_auth_result(view.id, ok=False)
    vault.report_auth_result(view.id, ok=False)
    vault.report_auth_result(view.id, ok=True)
    assert vault.get_record(view.id).failure_count == 0
    for _ in range(3):
        vault.report_auth_result(view.id, ok=False)
    disabled = make_vault(vault_path, backend).get_record(view.id)
    assert (disabled.status, disabled.disabled_reason) == (
        RecordStatus.DISABLED,
        CONSECUTIVE_FAILURES,
    )
    assert [e.operation for e in events] == [ChangeOperation.ADD, ChangeOperation.DISABLE]
    with pytest.raises(CredentialBlocked, match="3 consecutive authentication failures"):
        vault.credential_for("nvidia", USER, "alice")


def test_a_stale_failure_for_a_replaced_key_is_ignored(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    vault = make_vault(vault_path, backend)
    view = vault.save("nvidia", NVIDIA_KEY)
    old = vault.credential_for("nvidia", USER, "alice")
    assert old is not None
    vault.save("nvidia", OTHER_KEY)
    vault.report_auth_result(view.id, ok=False, secret=old.secret)
    assert vault.get_record(view.id).failure_count == 0


def test_mark_verified_re_enables_a_disabled_record(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    vault = make_vault(vault_path, backend)
    events: list[CredentialChange] = []
    view = vault.save("nvidia", NVIDIA_KEY)
    vault.disable(view.id, CONSECUTIVE_FAILURES)
    vault.subscribe(events.append)
    vault.mark_verified(view.id)
    vault.mark_verified(view.id)  # already active: nothing to announce
    assert vault.get_record(view.id).status is RecordStatus.ACTIVE
    assert [e.operation for e in events] == [ChangeOperation.ENABLE]
    assert vault.credential_for("nvidia", USER, "alice") is not None


def test_a_locked_record_cannot_be_marked_verified(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    vault = make_vault(vault_path, backend)
    view = vault.save("nvidia", NVIDIA_KEY)
    backend.entries.clear()
    with pytest.raises(RecordLocked):
        make_vault(vault_path, backend).mark_verified(view.id)


def test_unknown_ids_are_refused(vault_path: Path, backend: MemoryKeyring) -> None:
    vault = make_vault(vault_path, backend)
    vault.save("nvidia", NVIDIA_KEY)
    for call in (
        lambda: vault.delete("k_000000000000"),
        lambda: vault.disable("k_000000000000", "x"),
        lambda: vault.enable_with_new_key("k_000000000000", OTHER_KEY),
        lambda: vault.mark_verified("k_000000000000"),
        lambda: vault.get_record("k_000000000000"),
    ):
        with pytest.raises(RecordNotFound, match="keys list"):
            call()


def test_last_used_is_stamped_persisted_and_written_sparingly(
    vault_path: Path, backend: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    vault = make_vault(vault_path, backend, clock=clock)
    view = vault.save("nvidia", NVIDIA_KEY)
    assert view.last_used_at is None
    writes: list[Path] = []
    real_write = vault_file.write_document
    monkeypatch.setattr(
        vault_file, "write_document", lambda p, d: (writes.append(p), real_write(p, d))
    )

    vault.credential_for("nvidia", USER, "alice")
    first_use = clock.now
    clock.advance(seconds=30)
    vault.credential_for("nvidia", USER, "alice")
    assert len(writes) == 1
    assert make_vault(vault_path, backend).get_record(view.id).last_used_at == first_use

    clock.advance(seconds=LAST_USED_RESOLUTION.total_seconds())
    vault.credential_for("nvidia", USER, "alice")
    assert len(writes) == 2
    assert make_vault(vault_path, backend).get_record(view.id).last_used_at == clock.now


def test_changes_by_another_instance_are_seen(vault_path: Path, backend: MemoryKeyring) -> None:
    app = make_vault(vault_path, backend)
    cli = make_vault(vault_path, backend)
    assert app.list_records() == []
    view = cli.save("nvidia", NVIDIA_KEY)
    assert [r.id for r in app.list_records()] == [view.id]
    cli.delete(view.id)
    assert app.credential_for("nvidia", USER, "alice") is None


def test_a_locked_keyring_refuses_saves_and_deletes_nothing(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    view = make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    before = vault_path.read_bytes()
    backend.locked = True
    vault = make_vault(vault_path, backend)

    with pytest.raises(KeyringUnavailable) as exc:
        vault.save("openai", OTHER_KEY)
    assert "Unlock the keyring" in str(exc.value)
    assert "nothing" in str(exc.value) or "no stored key" in str(exc.value)
    (listed,) = vault.list_records()
    assert listed.status is RecordStatus.LOCKED
    with pytest.raises(CredentialBlocked) as blocked:
        vault.credential_for("nvidia", USER, "alice")
    # The key is fine, the keyring is locked: the remedy is unlocking, not entering it again.
    assert "stored but cannot be read now" in str(blocked.value)
    assert "Unlock the keyring and retry" in str(blocked.value)
    assert "Enter the key again" not in str(blocked.value)
    assert ".." not in str(blocked.value)
    assert vault.keyring_status.kind == "unavailable"
    assert "refused" in vault.keyring_status.message
    assert vault_path.read_bytes() == before

    backend.locked = False
    assert vault.get_record(view.id).status is RecordStatus.ACTIVE
    assert vault.keyring_status.kind == "secure"


def test_the_data_key_is_read_from_the_keyring_once(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    vault = make_vault(vault_path, backend)
    reads = backend.reads
    for _ in range(5):
        vault.credential_for("nvidia", USER, "alice")
        vault.list_records()
    assert backend.reads - reads == 1


def test_data_key_lives_under_the_app_service(vault_path: Path, backend: MemoryKeyring) -> None:
    make_vault(vault_path, backend).save("nvidia", NVIDIA_KEY)
    (entry,) = backend.entries
    assert entry[0] == KEYRING_SERVICE
    assert entry[1] == f"data-key-{_raw(vault_path)['vault_id']}"
    assert len(base64.b64decode(backend.entries[entry])) == 32
    assert os.path.exists(vault_path)


def test_listing_under_a_locked_keyring_asks_it_once(
    vault_path: Path, backend: MemoryKeyring
) -> None:
    vault = make_vault(vault_path, backend)
    for provider in ("nvidia", "openai", "anthropic"):
        vault.save(provider, NVIDIA_KEY)
    backend.locked = True
    fresh = make_vault(vault_path, backend)
    reads = backend.reads
    assert {r.status for r in fresh.list_records()} == {RecordStatus.LOCKED}
    assert backend.reads - reads == 1
