"""Credential value types shared by the vault, the resolver and the provider client."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from amprealize_tui.core.credentials.masking import mask_key


class Secret:
    """An API key. Its repr and str never show it; only `reveal()` does (for the auth header)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def mask(self) -> str:
        return mask_key(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.mask})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> object:
        raise TypeError("Secret values cannot be pickled")


class CredentialScope(StrEnum):
    USER = "user"
    PROJECT = "project"
    ORG = "org"
    PLATFORM = "platform"


@dataclass(frozen=True, slots=True)
class ResolvedCredential:
    provider: str
    scope: CredentialScope
    secret: Secret = field(repr=False)
    record_id: str | None = None

    @property
    def is_byok(self) -> bool:
        return self.scope is not CredentialScope.PLATFORM

    @property
    def mask(self) -> str:
        return self.secret.mask


class CredentialError(Exception):
    """Base for resolution failures. Messages never contain key material."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider


class CredentialMissing(CredentialError):
    """No scope holds a key for the provider."""


class CredentialBlocked(CredentialError):
    """The first scope with a key for the provider has a disabled, invalid or locked one.

    Resolution stops here (fail closed): it never falls through to a later scope.
    """

    def __init__(
        self, provider: str, scope: CredentialScope, reason: str, record_id: str | None = None
    ) -> None:
        super().__init__(
            provider,
            f"BYOK credential for provider {provider} ({scope.value} scope) is {reason}.",
        )
        self.scope = scope
        self.reason = reason
        self.record_id = record_id


class CredentialResolver(Protocol):
    def resolve(
        self,
        provider: str,
        *,
        project_id: str | None = None,
        org_id: str | None = None,
        prefer_user: bool = False,
        mark_used: bool = True,
    ) -> ResolvedCredential:
        """The credential to use, or CredentialMissing / CredentialBlocked. mark_used=False is
        for availability checks: a stored key's last_used_at is stamped only for real use."""
        ...

    def report_auth_result(self, credential: ResolvedCredential, ok: bool) -> None:
        """Called by the provider client after every authenticated answer (401/403 -> ok=False)."""
        ...
