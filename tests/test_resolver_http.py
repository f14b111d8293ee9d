"""The resolver with the real provider client over HTTP to a loopback server: which key is sent,
that a blocked key never falls through to the platform key, and the lock-out after 401s."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.records import RecordStatus
from amprealize_tui.core.credentials.resolver import VaultResolver
from amprealize_tui.core.credentials.types import CredentialBlocked
from amprealize_tui.core.credentials.vault import CONSECUTIVE_FAILURES, CredentialVault
from amprealize_tui.core.credentials.verification import verify_record
from amprealize_tui.core.providers.client import ProviderClient
from amprealize_tui.core.providers.errors import ProviderAuthError
from amprealize_tui.core.providers.models import ModelCatalog, ModelDefinition, nvidia_models
from amprealize_tui.core.providers.results import VerifyStatus
from tests.loopback_server import LoopbackServer, Reply
from tests.vault_helpers import MemoryKeyring, make_vault

USER_KEY = "nvapi-USER-111111111111111111111111111"
PLATFORM_KEY = "nvapi-PLATFORM-0000000000000000000000"
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def vault(tmp_path: Path) -> CredentialVault:
    return make_vault(tmp_path / "vault.json", MemoryKeyring())


@pytest.fixture
def resolver(vault: CredentialVault) -> VaultResolver:
    return VaultResolver(vault, PlatformCredentials({"NVIDIA_API_KEY": PLATFORM_KEY}))


@pytest.fixture
def catalog(loopback: LoopbackServer) -> ModelCatalog:
    return ModelCatalog(nvidia_models(loopback.base_url))


@pytest.fixture
def model(catalog: ModelCatalog) -> ModelDefinition:
    return catalog.default()


@pytest.fixture
async def client(resolver: VaultResolver) -> AsyncIterator[ProviderClient]:
    client = ProviderClient(auth_reporter=resolver, max_retries=0, read_timeout=10)
    yield client
    await client.aclose()


def _auth_headers(loopback: LoopbackServer) -> list[str]:
    return [r.headers.get("authorization", "") for r in loopback.requests]


async def test_the_user_key_is_sent(
    vault: CredentialVault,
    resolver: VaultResolver,
    client: ProviderClient,
    model: ModelDefinition,
    loopback: LoopbackServer,
) -> None:
    vault.save("nvidia", USER_KEY)
    completion = await client.complete(model, resolver.resolve("nvidia"), MESSAGES)
    assert completion.text == "Echo: hi"
    assert _auth_headers(loopback) == [f"Bearer {USER_KEY}"]


async def test_a_blocked_key_never_falls_through_to_the_platform_key(
    vault: CredentialVault,
    resolver: VaultResolver,
    client: ProviderClient,
    model: ModelDefinition,
    loopback: LoopbackServer,
) -> None:
    view = vault.save("nvidia", USER_KEY)
    await client.complete(model, resolver.resolve("nvidia"), MESSAGES)
    vault.disable(view.id, "rotating")

    with pytest.raises(CredentialBlocked):
        credential = resolver.resolve("nvidia")
        await client.complete(model, credential, MESSAGES)
    vault.delete(view.id)  # with no key configured, the platform key is the right one
    await client.complete(model, resolver.resolve("nvidia"), MESSAGES)
    assert _auth_headers(loopback) == [f"Bearer {USER_KEY}", f"Bearer {PLATFORM_KEY}"]


async def test_three_401s_disable_the_key_and_stop_requests(
    vault: CredentialVault,
    resolver: VaultResolver,
    client: ProviderClient,
    model: ModelDefinition,
    loopback: LoopbackServer,
) -> None:
    view = vault.save("nvidia", USER_KEY)
    loopback.enqueue(*[Reply.problem(401, "Unauthorized")] * 3)
    for _ in range(3):
        with pytest.raises(ProviderAuthError):
            await client.complete(model, resolver.resolve("nvidia"), MESSAGES)
    record = vault.get_record(view.id)
    assert (record.status, record.disabled_reason) == (RecordStatus.DISABLED, CONSECUTIVE_FAILURES)

    with pytest.raises(CredentialBlocked, match="3 consecutive authentication failures"):
        resolver.resolve("nvidia")
    assert _auth_headers(loopback) == [f"Bearer {USER_KEY}"] * 3
    assert all(PLATFORM_KEY not in h for h in _auth_headers(loopback))


async def test_a_success_between_401s_resets_the_count(
    vault: CredentialVault,
    resolver: VaultResolver,
    client: ProviderClient,
    model: ModelDefinition,
    loopback: LoopbackServer,
) -> None:
    view = vault.save("nvidia", USER_KEY)
    unauthorized = Reply.problem(401, "Unauthorized")
    loopback.enqueue(unauthorized, unauthorized, Reply.completion("ok"), unauthorized, unauthorized)
    for _ in range(5):
        with contextlib.suppress(ProviderAuthError):
            await client.complete(model, resolver.resolve("nvidia"), MESSAGES)
    record = vault.get_record(view.id)
    assert (record.status, record.failure_count) == (RecordStatus.ACTIVE, 2)


async def test_verification_re_enables_a_locked_out_key(
    vault: CredentialVault,
    resolver: VaultResolver,
    client: ProviderClient,
    catalog: ModelCatalog,
    loopback: LoopbackServer,
) -> None:
    view = vault.save("nvidia", USER_KEY)
    for _ in range(3):
        resolver.report_auth_result(resolver.resolve("nvidia"), ok=False)

    loopback.enqueue(Reply.problem(401, "Unauthorized"))
    refused = await verify_record(vault, catalog, client, view.id)
    assert refused.status is VerifyStatus.INVALID
    assert (refused.record.status, refused.reenabled) == (RecordStatus.DISABLED, False)

    accepted = await verify_record(vault, catalog, client, view.id)
    assert accepted.status is VerifyStatus.VALID and accepted.reenabled
    assert resolver.resolve("nvidia").secret.reveal() == USER_KEY
    request = loopback.requests[-1]
    assert request.headers["authorization"] == f"Bearer {USER_KEY}"
    assert (request.json["model"], request.json["max_tokens"]) == (catalog.default().api_name, 1)


async def test_invalid_verifications_count_toward_the_lock_out(
    vault: CredentialVault, client: ProviderClient, catalog: ModelCatalog, loopback: LoopbackServer
) -> None:
    view = vault.save("nvidia", USER_KEY)
    loopback.enqueue(*[Reply.problem(403, "Forbidden")] * 3)
    for _ in range(3):
        await verify_record(vault, catalog, client, view.id)
    assert vault.get_record(view.id).disabled_reason == CONSECUTIVE_FAILURES


async def test_an_inconclusive_verification_changes_nothing(
    vault: CredentialVault, client: ProviderClient, catalog: ModelCatalog, loopback: LoopbackServer
) -> None:
    view = vault.save("nvidia", USER_KEY)
    vault.disable(view.id, "rotating")
    loopback.enqueue(Reply.problem(429, "Too many requests"))
    outcome = await verify_record(vault, catalog, client, view.id)
    assert outcome.status is VerifyStatus.INCONCLUSIVE
    record = vault.get_record(view.id)
    assert (record.status, record.disabled_reason, record.failure_count) == (
        RecordStatus.DISABLED,
        "rotating",
        0,
    )
