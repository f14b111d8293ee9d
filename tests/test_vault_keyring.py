"""Keyring backend detection: secure, plaintext (with a warning) and unavailable (refused)."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backends import SecretService, chainer, fail, null

from amprealize_tui.core.credentials.keyring_backend import (
    KeyringKind,
    detect_keyring_status,
)
from amprealize_tui.core.credentials.records import RecordStatus
from amprealize_tui.core.credentials.vault_errors import KeyringUnavailable
from tests.vault_helpers import (
    NVIDIA_KEY,
    LowPriorityKeyring,
    MemoryKeyring,
    PlaintextKeyring,
    make_vault,
)

INSTALL = "install and unlock gnome-keyring (or another Secret Service), then retry"


@pytest.mark.parametrize(
    ("backend", "why"),
    [(null.Keyring(), "stores nothing"), (fail.Keyring(), "found no backend")],
    ids=["null", "fail"],
)
def test_null_and_fail_backends_cannot_store_keys(
    tmp_path: Path, backend: object, why: str
) -> None:
    vault = make_vault(tmp_path / "vault.json", backend)  # type: ignore[arg-type]
    status = vault.keyring_status
    assert status.kind is KeyringKind.UNAVAILABLE
    assert not status.can_store
    assert status.message.startswith("No usable OS keyring")
    assert why in status.message
    assert INSTALL in status.message
    with pytest.raises(KeyringUnavailable) as exc:
        vault.save("nvidia", NVIDIA_KEY)
    assert INSTALL in str(exc.value)
    assert not (tmp_path / "vault.json").exists()
    assert vault.list_records() == []


def test_records_under_a_null_backend_show_locked(tmp_path: Path) -> None:
    path = tmp_path / "vault.json"
    view = make_vault(path, MemoryKeyring()).save("nvidia", NVIDIA_KEY)
    (listed,) = make_vault(path, null.Keyring()).list_records()
    assert (listed.id, listed.status) == (view.id, RecordStatus.LOCKED)
    assert "No usable OS keyring" in (listed.locked_reason or "")


def test_a_plaintext_backend_works_with_a_visible_warning(tmp_path: Path) -> None:
    vault = make_vault(tmp_path / "vault.json", PlaintextKeyring())
    status = vault.keyring_status
    assert status.kind is KeyringKind.PLAINTEXT
    assert status.backend == "file PlaintextKeyring"
    assert status.message.startswith("Warning: file PlaintextKeyring keeps the data key in a file")
    assert "NOT protected" in status.message
    view = vault.save("nvidia", NVIDIA_KEY)
    assert vault.get_record(view.id).status is RecordStatus.ACTIVE


def test_a_not_recommended_backend_counts_as_plaintext() -> None:
    status = detect_keyring_status(LowPriorityKeyring())
    assert status.kind is KeyringKind.PLAINTEXT
    assert "not a recommended keyring (priority 0.2)" in status.message


def test_a_recommended_backend_is_secure() -> None:
    status = detect_keyring_status(MemoryKeyring())
    assert status.kind is KeyringKind.SECURE
    assert status.backend == "vault helpers MemoryKeyring"
    assert (
        status.message
        == "API keys are encrypted; the data key is kept in vault helpers MemoryKeyring."
    )


def test_the_secret_service_backend_is_secure_by_class() -> None:
    status = detect_keyring_status(SecretService.Keyring())
    assert (status.kind, status.backend) == (KeyringKind.SECURE, "SecretService Keyring")


def test_a_backend_that_is_not_viable_is_unavailable() -> None:
    class Broken(MemoryKeyring):
        @keyring.compat.properties.classproperty
        def priority(cls) -> float:
            raise RuntimeError("daemon not running")

    keyring.backend.KeyringBackend._classes.discard(Broken)
    status = detect_keyring_status(Broken())
    assert status.kind is KeyringKind.UNAVAILABLE
    assert "daemon not running" in status.message


def test_a_chain_is_judged_by_the_backend_that_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [PlaintextKeyring(), MemoryKeyring()])
    assert detect_keyring_status(chainer.ChainerBackend()).kind is KeyringKind.PLAINTEXT
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    assert detect_keyring_status(chainer.ChainerBackend()).kind is KeyringKind.UNAVAILABLE


def test_the_default_backend_comes_from_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    vault = make_vault(tmp_path / "vault.json", None)  # type: ignore[arg-type]
    view = vault.save("nvidia", NVIDIA_KEY)
    assert backend.data_key_entries()
    assert view.status is RecordStatus.ACTIVE


def test_a_backend_that_drops_writes_is_caught(tmp_path: Path) -> None:
    """A backend that claims success but keeps nothing must not leave keys unrecoverable."""

    class Forgetful(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            return None

    keyring.backend.KeyringBackend._classes.discard(Forgetful)
    vault = make_vault(tmp_path / "vault.json", Forgetful())
    with pytest.raises(KeyringUnavailable, match="did not keep"):
        vault.save("nvidia", NVIDIA_KEY)
    assert not (tmp_path / "vault.json").exists()
