"""Which key pays for a request: vault scopes in order, then the platform key, failing closed.

Personal chat (no project) tries user -> org -> platform; project chat tries project -> user ->
org -> platform, or user -> project -> org -> platform when the composer asks for the user's own
key. The first scope that holds a key for the provider decides: a disabled or undecryptable key
there stops resolution with CredentialBlocked instead of silently paying with another key.
"""

from __future__ import annotations

from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.types import (
    CredentialMissing,
    CredentialScope,
    ResolvedCredential,
)
from amprealize_tui.core.credentials.vault import CredentialVault


def scope_order(
    user_id: str, *, project_id: str | None, org_id: str | None, prefer_user: bool
) -> list[tuple[CredentialScope, str]]:
    """The vault scopes to try, with the id each is stored under; org only with an org_id."""
    user = (CredentialScope.USER, user_id)
    if project_id is None:
        order = [user]
    else:
        project = (CredentialScope.PROJECT, project_id)
        order = [user, project] if prefer_user else [project, user]
    if org_id is not None:
        order.append((CredentialScope.ORG, org_id))
    return order


class VaultResolver:
    """The CredentialResolver the provider client and the reply service use."""

    def __init__(self, vault: CredentialVault, platform: PlatformCredentials) -> None:
        self._vault = vault
        self._platform = platform

    def resolve(
        self,
        provider: str,
        *,
        project_id: str | None = None,
        org_id: str | None = None,
        prefer_user: bool = False,
        mark_used: bool = True,
    ) -> ResolvedCredential:
        order = scope_order(
            self._vault.user_id, project_id=project_id, org_id=org_id, prefer_user=prefer_user
        )
        for scope, scope_id in order:
            credential = self._vault.credential_for(provider, scope, scope_id, mark_used=mark_used)
            if credential is not None:
                return credential
        platform = self._platform.get(provider)
        if platform is not None:
            return platform
        var = self._platform.env_var(provider)
        hint = f"add a key (amprealize-tui keys add {provider})" + (f" or set {var}" if var else "")
        raise CredentialMissing(provider, f"No API key for provider {provider}: {hint}.")

    def report_auth_result(self, credential: ResolvedCredential, ok: bool) -> None:
        """Counts 401/403 answers against vault keys; platform keys are never locked out."""
        if credential.scope is CredentialScope.PLATFORM or credential.record_id is None:
            return
        self._vault.report_auth_result(credential.record_id, ok, secret=credential.secret)
