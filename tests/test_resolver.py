"""VaultResolver: scope precedence, failing closed, lock-out after 401s, re-enabling."""

from __future__ import annotations

from pathlib import Path

import pytest

from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.records import RecordStatus
from amprealize_tui.core.credentials.resolver import VaultResolver, scope_order
from amprealize_tui.core.credentials.types import (
    CredentialBlocked,
    CredentialMissing,
    CredentialScope,
)
from amprealize_tui.core.credentials.vault import CONSECUTIVE_FAILURES, CredentialVault
from tests.vault_helpers import MemoryKeyring, make_vault

PLATFORM_KEY = "nvapi-PLATFORM-0000000000000000000000"
KEYS = {
    "user": "nvapi-USER-111111111111111111111111111",
    "project": "nvapi-PROJECT-2222222222222222222222222",
    "org": "nvapi-ORG-3333333333333333333333333333",
}


@pytest.fixture
def vault(tmp_path: Path) -> CredentialVault:
    return make_vault(tmp_path / "vault.json", MemoryKeyring())


def _resolver(vault: CredentialVault, platform_key: str | None = PLATFORM_KEY) -> VaultResolver:
    env = {"NVIDIA_API_KEY": platform_key} if platform_key else {}
    return VaultResolver(vault, PlatformCredentials(env))


def _store(vault: CredentialVault, *scopes: str) -> dict[str, str]:
    ids = {}
    for scope in scopes:
        scope_id = {"user": None, "project": "proj-1", "org": "acme"}[scope]
        ids[scope] = vault.save("nvidia", KEYS[scope], scope=scope, scope_id=scope_id).id
    return ids


def _which(resolver: VaultResolver, **kwargs: object) -> str:
    credential = resolver.resolve("nvidia", **kwargs)  # type: ignore[arg-type]
    return next(
        (scope for scope, key in KEYS.items() if key == credential.secret.reveal()),
        "platform" if credential.secret.reveal() == PLATFORM_KEY else "?",
    )


PERSONAL = {"project_id": None, "org_id": "acme"}
PROJECT = {"project_id": "proj-1", "org_id": "acme"}
PROJECT_AS_USER = {**PROJECT, "prefer_user": True}


@pytest.mark.parametrize(
    ("stored", "context", "expected"),
    [
        # personal/global chat: user -> org -> platform (a project key never applies)
        (("user", "project", "org"), PERSONAL, "user"),
        (("project", "org"), PERSONAL, "org"),
        (("project",), PERSONAL, "platform"),
        # project chat: project -> user -> org -> platform
        (("user", "project", "org"), PROJECT, "project"),
        (("user", "org"), PROJECT, "user"),
        (("org",), PROJECT, "org"),
        ((), PROJECT, "platform"),
        # project chat asking for the user's own key: user -> project -> org -> platform
        (("user", "project", "org"), PROJECT_AS_USER, "user"),
        (("project", "org"), PROJECT_AS_USER, "project"),
        (("org",), PROJECT_AS_USER, "org"),
    ],
)
def test_precedence(
    vault: CredentialVault, stored: tuple[str, ...], context: dict, expected: str
) -> None:
    _store(vault, *stored)
    assert _which(_resolver(vault), **context) == expected


def test_org_scope_needs_an_org_id(vault: CredentialVault) -> None:
    _store(vault, "org")
    assert _which(_resolver(vault), project_id="proj-1", org_id=None) == "platform"
    assert _which(_resolver(vault), project_id="proj-1", org_id="other-org") == "platform"


def test_scope_order_lists_scopes_and_ids() -> None:
    user, project, org = CredentialScope.USER, CredentialScope.PROJECT, CredentialScope.ORG
    assert scope_order("u", project_id=None, org_id=None, prefer_user=True) == [(user, "u")]
    assert scope_order("u", project_id="p", org_id="o", prefer_user=False) == [
        (project, "p"),
        (user, "u"),
        (org, "o"),
    ]


def test_the_resolved_credential_says_where_it_came_from(vault: CredentialVault) -> None:
    ids = _store(vault, "project")
    credential = _resolver(vault).resolve("nvidia", **PROJECT)
    assert (credential.scope, credential.record_id, credential.is_byok) == (
        CredentialScope.PROJECT,
        ids["project"],
        True,
    )
    platform = _resolver(vault).resolve("nvidia")
    assert (platform.scope, platform.record_id, platform.is_byok) == (
        CredentialScope.PLATFORM,
        None,
        False,
    )


def test_nothing_anywhere_is_missing_with_advice(vault: CredentialVault) -> None:
    with pytest.raises(CredentialMissing) as exc:
        _resolver(vault, platform_key=None).resolve("nvidia", **PROJECT)
    assert "keys add nvidia" in str(exc.value) and "NVIDIA_API_KEY" in str(exc.value)


@pytest.mark.parametrize(
    ("blocked_scope", "context"),
    [("user", PERSONAL), ("project", PROJECT), ("user", PROJECT_AS_USER)],
)
def test_a_disabled_first_scope_fails_closed(
    vault: CredentialVault, blocked_scope: str, context: dict
) -> None:
    ids = _store(vault, "user", "project", "org")
    vault.disable(ids[blocked_scope], "suspected leak")
    with pytest.raises(CredentialBlocked) as exc:
        _resolver(vault).resolve("nvidia", **context)
    assert exc.value.scope is CredentialScope(blocked_scope)
    assert exc.value.record_id == ids[blocked_scope]
    assert "configured but disabled (suspected leak)" in str(exc.value)


def test_a_locked_first_scope_fails_closed(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    vault = make_vault(tmp_path / "vault.json", backend)
    _store(vault, "user")
    backend.entries.clear()  # the data key is gone: the user key cannot be decrypted
    fresh = make_vault(tmp_path / "vault.json", backend)
    fresh.save("nvidia", KEYS["org"], scope="org", scope_id="acme")  # a usable later scope
    with pytest.raises(CredentialBlocked, match="configured but locked") as blocked:
        _resolver(fresh).resolve("nvidia", **PERSONAL)
    # The data key is gone for good: the remedy is entering the key again, in the app or CLI.
    assert "Enter the key again (Settings (F2) in the app, or `amprealize-tui keys enable" in str(
        blocked.value
    )
    assert ".." not in str(blocked.value)


def test_a_blocked_key_for_one_provider_does_not_block_another(vault: CredentialVault) -> None:
    ids = _store(vault, "user")
    vault.disable(ids["user"], "rotating")
    credential = VaultResolver(vault, PlatformCredentials({"OPENAI_API_KEY": "sk-" + "o" * 40}))
    assert credential.resolve("openai").scope is CredentialScope.PLATFORM


def test_three_auth_failures_lock_out_and_success_resets(vault: CredentialVault) -> None:
    ids = _store(vault, "user")
    resolver = _resolver(vault)
    credential = resolver.resolve("nvidia")
    resolver.report_auth_result(credential, ok=False)
    resolver.report_auth_result(credential, ok=False)
    resolver.report_auth_result(credential, ok=True)
    resolver.report_auth_result(credential, ok=False)
    resolver.report_auth_result(credential, ok=False)
    assert vault.get_record(ids["user"]).status is RecordStatus.ACTIVE
    resolver.report_auth_result(credential, ok=False)
    record = vault.get_record(ids["user"])
    assert (record.status, record.disabled_reason) == (RecordStatus.DISABLED, CONSECUTIVE_FAILURES)
    with pytest.raises(CredentialBlocked):
        resolver.resolve("nvidia")


def test_platform_keys_are_never_locked_out(vault: CredentialVault) -> None:
    resolver = _resolver(vault)
    credential = resolver.resolve("nvidia")
    for _ in range(5):
        resolver.report_auth_result(credential, ok=False)
    assert resolver.resolve("nvidia").secret.reveal() == PLATFORM_KEY
    assert vault.list_records() == []


def test_re_enabling_takes_a_new_key_or_a_verification(vault: CredentialVault) -> None:
    ids = _store(vault, "user")
    resolver = _resolver(vault)
    credential = resolver.resolve("nvidia")
    for _ in range(3):
        resolver.report_auth_result(credential, ok=False)

    new_key = "nvapi-NEW-4444444444444444444444444444"
    vault.enable_with_new_key(ids["user"], new_key)
    assert resolver.resolve("nvidia").secret.reveal() == new_key

    for _ in range(3):
        resolver.report_auth_result(resolver.resolve("nvidia"), ok=False)
    with pytest.raises(CredentialBlocked):
        resolver.resolve("nvidia")
    vault.mark_verified(ids["user"])
    assert resolver.resolve("nvidia").secret.reveal() == new_key


def test_only_real_use_stamps_last_used(vault: CredentialVault) -> None:
    ids = _store(vault, "user")
    resolver = _resolver(vault)
    resolver.resolve("nvidia", mark_used=False)
    assert vault.get_record(ids["user"]).last_used_at is None
    assert resolver.resolve("nvidia", mark_used=False).scope is CredentialScope.USER
    resolver.resolve("nvidia")
    assert vault.get_record(ids["user"]).last_used_at is not None
    assert _resolver(vault).resolve("nvidia", mark_used=False).is_byok
