"""Shared pieces for the provider tests: a model pointed at the loopback server, a key, fakes."""

from __future__ import annotations

import dataclasses
import socket

from amprealize_tui.core.credentials.types import (
    CredentialBlocked,
    CredentialMissing,
    CredentialScope,
    ResolvedCredential,
    Secret,
)
from amprealize_tui.core.providers.client import ProviderClient
from amprealize_tui.core.providers.models import ModelDefinition, nvidia_models

KEY = "nvapi-TESTKEY-0123456789-abcdefSECRET"


def model_at(base_url: str, **changes: object) -> ModelDefinition:
    """The default NVIDIA model (DeepSeek V4 Flash, a thinking model) served at base_url."""
    return dataclasses.replace(nvidia_models(base_url)[0], **changes)


def credential(provider: str = "nvidia", key: str = KEY) -> ResolvedCredential:
    return ResolvedCredential(provider, CredentialScope.USER, Secret(key), record_id="rec-1")


class RecordingReporter:
    """An auth reporter that remembers what the client told it."""

    def __init__(self) -> None:
        self.reports: list[tuple[str | None, bool]] = []

    def resolve(self, provider: str, **_: object) -> ResolvedCredential:
        return credential(provider)

    def report_auth_result(self, credential: ResolvedCredential, ok: bool) -> None:
        self.reports.append((credential.record_id, ok))


class FakeSleep:
    """Records the delays the client asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make_client(**options: object) -> tuple[ProviderClient, FakeSleep, RecordingReporter]:
    sleep, reporter = FakeSleep(), RecordingReporter()
    settings: dict[str, object] = {"sleep": sleep, "auth_reporter": reporter, "read_timeout": 5.0}
    settings.update(options)
    return ProviderClient(**settings), sleep, reporter  # type: ignore[arg-type]


def closed_port() -> int:
    """A local port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ScriptedResolver:
    """A resolver answering from a table: provider -> credential or the error to raise.
    Providers not in the table are missing. Records every resolve call."""

    def __init__(self, table: dict[str, ResolvedCredential | Exception] | None = None) -> None:
        self.table = table or {}
        self.calls: list[tuple[str, str | None, str | None, bool]] = []
        self.marked_used: list[bool] = []

    def resolve(
        self,
        provider: str,
        *,
        project_id: str | None = None,
        org_id: str | None = None,
        prefer_user: bool = False,
        mark_used: bool = True,
    ) -> ResolvedCredential:
        self.calls.append((provider, project_id, org_id, prefer_user))
        self.marked_used.append(mark_used)
        answer = self.table.get(provider)
        if answer is None:
            raise CredentialMissing(provider, f"No API key for provider {provider}.")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def report_auth_result(self, credential: ResolvedCredential, ok: bool) -> None:
        return None


def blocked(provider: str = "nvidia") -> CredentialBlocked:
    return CredentialBlocked(provider, CredentialScope.USER, "disabled after 3 failed attempts")
