"""The in-process service container the CLI and the TUI share: built once, from settings."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from amprealize_tui.core.audit.log import AuditLog, open_audit
from amprealize_tui.core.audit.sink import AuditSink
from amprealize_tui.core.config import ConfigError, Settings, ensure_home
from amprealize_tui.core.conversations.replies import ReplyService
from amprealize_tui.core.conversations.store import ConversationStore
from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.resolver import VaultResolver
from amprealize_tui.core.credentials.vault import CredentialVault, open_vault
from amprealize_tui.core.credentials.verification import VerifyOutcome, verify_record
from amprealize_tui.core.providers.availability import Availability, compute_availability
from amprealize_tui.core.providers.client import ProviderClient
from amprealize_tui.core.providers.models import ModelCatalog
from amprealize_tui.core.providers.routing_client import RoutingCompleters, UnknownRoutingModel
from amprealize_tui.core.routing.gateway import ChatRouteGateway

if TYPE_CHECKING:
    import httpx
    from keyring.backend import KeyringBackend


@dataclass
class Services:
    settings: Settings
    store: ConversationStore
    audit: AuditLog
    vault: CredentialVault
    resolver: VaultResolver
    catalog: ModelCatalog
    client: ProviderClient
    gateway: ChatRouteGateway
    replies: ReplyService

    def availability(
        self,
        *,
        project_id: str | None = None,
        prefer_user: bool = False,
        provider_filter: str = "nvidia",
        free_open_only: bool = True,
    ) -> Availability:
        return compute_availability(
            self.catalog,
            self.resolver,
            provider_filter=provider_filter,
            free_open_only=free_open_only,
            project_id=project_id,
            org_id=self.settings.org_id,
            prefer_user=prefer_user,
        )

    async def verify_record(self, record_id: str) -> VerifyOutcome:
        return await verify_record(self.vault, self.catalog, self.client, record_id)

    async def aclose(self) -> None:
        await self.client.aclose()
        self.audit.close()
        self.store.close()


def platform_credentials(settings: Settings) -> PlatformCredentials:
    """Environment keys, including the variables the config names for user endpoints."""
    extra = {e.name: e.api_key_env for e in settings.endpoints if e.api_key_env}
    return PlatformCredentials(os.environ, extra)


def open_resolver(
    settings: Settings,
    audit: AuditSink | None = None,
    *,
    keyring_backend: KeyringBackend | None = None,
) -> VaultResolver:
    """The fail-closed BYOK resolver (vault, then platform keys) for headless commands."""
    vault = open_vault(settings, audit=audit, keyring_backend=keyring_backend)
    return VaultResolver(vault, platform_credentials(settings))


def build_services(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    keyring_backend: KeyringBackend | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Services:
    """Open the store, audit log and vault in the data directory and wire the services."""
    ensure_home(settings)
    store = ConversationStore(settings.database_path, clock=clock)
    store.mark_streaming_incomplete()
    audit = open_audit(settings, store, clock=clock)
    vault = open_vault(settings, audit=audit, keyring_backend=keyring_backend, clock=clock)
    resolver = VaultResolver(vault, platform_credentials(settings))
    catalog = ModelCatalog.from_settings(settings)
    client = ProviderClient(
        transport=transport, read_timeout=settings.reply_read_timeout, auth_reporter=resolver
    )
    gateway = ChatRouteGateway(settings.route_mode, routing_timeout=settings.routing_timeout)
    try:
        routing = RoutingCompleters(catalog, resolver, client, model_id=settings.routing_model)
    except UnknownRoutingModel as exc:
        raise ConfigError(
            f"{exc} (set by routing_model or AMPREALIZE_CHAT_ROUTING_MODEL)"
        ) from None
    replies = ReplyService(
        store=store,
        gateway=gateway,
        catalog=catalog,
        client=client,
        resolver=resolver,
        audit=audit,
        user_id=settings.user_id,
        org_id=settings.org_id,
        routing=routing,
        **({"clock": clock} if clock else {}),
    )
    return Services(settings, store, audit, vault, resolver, catalog, client, gateway, replies)
