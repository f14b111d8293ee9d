"""Shared pieces for the settings/audit screen tests and snapshots: keyrings, keys, a host app."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from keyring.backend import KeyringBackend
from textual.app import App
from textual.screen import Screen

from amprealize_tui.core.audit.sink import AuditEventType
from amprealize_tui.core.config import load_settings
from amprealize_tui.core.credentials.types import CredentialScope
from amprealize_tui.core.credentials.vault import CredentialVault
from amprealize_tui.core.services import Services, build_services
from amprealize_tui.tui.app import stylesheet_paths
from tests.vault_helpers import MemoryKeyring

FIXED_NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)

# Fake keys. Only their masks (first 8 characters + dots) may ever appear on screen.
NVIDIA_KEY = "nvapi-TEST-not-a-real-key-0000"
NVIDIA_KEY_2 = "nvapi-TEST-not-a-real-key-1111"
OPENAI_KEY = "sk-TEST-not-a-real-key-2222"
FAKE_KEYS = (NVIDIA_KEY, NVIDIA_KEY_2, OPENAI_KEY)


def fixed_clock() -> datetime:
    return FIXED_NOW


def ticking_clock(step: timedelta = timedelta(seconds=1)) -> Callable[[], datetime]:
    """A clock starting at FIXED_NOW that moves `step` forward on every reading."""
    ticks = itertools.count()
    return lambda: FIXED_NOW + step * next(ticks)


def make_services(
    keyring_backend: KeyringBackend | None = None,
    *,
    clock: Callable[[], datetime] = fixed_clock,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Services:
    """The real services over this test's AMPREALIZE_HOME, with an in-memory keyring."""
    return build_services(
        load_settings(),
        keyring_backend=keyring_backend or MemoryKeyring(),
        clock=clock,
        transport=transport,
    )


class ScreenHost(App[None]):
    """Opens one of our screens over an empty base, styled with the app's stylesheets, and
    closes the services on exit as AmprealizeApp does."""

    CSS_PATH = stylesheet_paths()  # the real app's: stays right when settings.tcss is merged

    def __init__(self, services: Services, make_screen: Callable[[Services], Screen[Any]]) -> None:
        super().__init__()
        self.services = services
        self._make_screen = make_screen
        self.cursor_blink = False  # as AmprealizeApp in tests: solid text cursors

    def on_mount(self) -> None:
        self.push_screen(self._make_screen(self.services))

    async def on_unmount(self) -> None:
        await self.services.aclose()


def route_metadata(
    mode: str,
    requested: str,
    fallback: str | None = None,
    model: str = "nvidia/deepseek-ai/deepseek-v4-flash",
) -> dict[str, Any]:
    """Audit metadata as the reply service writes it for a routed message."""
    return {
        "route_mode": mode,
        "requested_mode": requested,
        "fallback_reason": fallback,
        "llm_model_id": model,
    }


def populate_keys(vault: CredentialVault, user_id: str) -> None:
    """One key of each status: active (used), disabled after 401s, locked (altered ciphertext)."""
    vault.save("nvidia", NVIDIA_KEY, name="work laptop")
    vault.credential_for("nvidia", CredentialScope.USER, user_id)  # stamps last_used_at
    disabled = vault.save("nvidia", NVIDIA_KEY_2, scope="project", scope_id="alpha")
    vault.disable(disabled.id, "consecutive_failures")
    locked = vault.save("openai", OPENAI_KEY, scope="org", scope_id="acme", name="team")
    document = json.loads(vault.path.read_text())
    for record in document["records"]:
        if record["id"] == locked.id:
            text = record["ciphertext"]
            record["ciphertext"] = text[:-6] + ("A" if text[-6] != "A" else "B") + text[-5:]
    vault.path.write_text(json.dumps(document))


_AUDIT_SCRIPT: tuple[tuple[AuditEventType, str, str, dict[str, Any]], ...] = (
    (
        AuditEventType.POLICY_DECISION,
        "chat.read_synthesis",
        "allow",
        route_metadata("deterministic", "deterministic"),
    ),
    (
        AuditEventType.POLICY_DECISION,
        "work_item.manage",
        "allow",
        route_metadata("llm", "hybrid", model="nvidia/moonshotai/kimi-k2-thinking"),
    ),
    (
        AuditEventType.APPROVAL,
        "execution.start",
        "approved",
        route_metadata("deterministic", "llm", fallback="llm_timeout"),
    ),
    (
        AuditEventType.DENIAL,
        "project.invite_share",
        "deny",
        route_metadata("deterministic", "deterministic"),
    ),
    (AuditEventType.CREDENTIAL_CHANGE, "add", "add", {"provider": "nvidia", "scope": "user"}),
)


def populate_audit(services: Services, *, broken: bool = False) -> None:
    """A short realistic log; `broken` edits record 3 afterwards, as tampering would."""
    for event_type, action, decision, metadata in _AUDIT_SCRIPT:
        services.audit.record(
            event_type,
            user_id="tester",
            chat_scope="global_user_home",
            action=action,
            decision=decision,
            metadata=metadata,
        )
    if broken:
        path = services.settings.audit_path
        lines = path.read_text().splitlines(keepends=True)
        lines[2] = lines[2].replace('"decision":"approved"', '"decision":"denied"')
        path.write_text("".join(lines))
