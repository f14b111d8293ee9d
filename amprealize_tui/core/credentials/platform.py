"""Platform credentials: keys the operator puts in the environment (e.g. NVIDIA_API_KEY)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from amprealize_tui.core.credentials.types import (
    CredentialMissing,
    CredentialScope,
    ResolvedCredential,
    Secret,
)

PLATFORM_ENV_VARS: dict[str, str] = {
    "nvidia": "NVIDIA_API_KEY",
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
}


class PlatformCredentials:
    """Reads platform keys from the environment. `extra_env_vars` maps further providers (the
    config file's openai_compatible endpoints) to the variable that holds their key."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        extra_env_vars: Mapping[str, str] | None = None,
    ) -> None:
        self._env = os.environ if env is None else env
        self._vars = {**PLATFORM_ENV_VARS, **(extra_env_vars or {})}

    def env_var(self, provider: str) -> str | None:
        return self._vars.get(provider)

    def get(self, provider: str) -> ResolvedCredential | None:
        var = self._vars.get(provider)
        value = self._env.get(var, "").strip() if var else ""
        if not value:
            return None
        return ResolvedCredential(provider, CredentialScope.PLATFORM, Secret(value))

    def resolve(
        self,
        provider: str,
        *,
        project_id: str | None = None,
        org_id: str | None = None,
        prefer_user: bool = False,
        mark_used: bool = True,
    ) -> ResolvedCredential:
        credential = self.get(provider)
        if credential is None:
            var = self._vars.get(provider)
            hint = f"set {var} or add a key" if var else "add a key"
            raise CredentialMissing(provider, f"No API key for provider {provider}: {hint}.")
        return credential

    def report_auth_result(self, credential: ResolvedCredential, ok: bool) -> None:
        """Platform keys are not locked out by the app; the operator owns them."""
        return None
