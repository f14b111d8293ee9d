"""Validation of the model metadata the composer sends with a message (DESIGN.md section 3).

Errors are shown to the user and nothing is persisted, so each message names the field or the
model. The enriched result carries the resolved credential for the reply call, but
`to_metadata()` (what is stored) holds only the resolved scope, never the secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amprealize_tui.core.credentials.types import (
    CredentialBlocked,
    CredentialMissing,
    CredentialResolver,
    ResolvedCredential,
)
from amprealize_tui.core.providers.availability import NO_CREDENTIAL
from amprealize_tui.core.providers.models import ModelCatalog, ModelDefinition

AUTO_SCOPE = "auto"
USER_SCOPE = "user"


class MetadataError(ValueError):
    """The message metadata is unusable; the message is shown to the user as is.

    `missing_credential` is true when the only problem is that no key resolves for the model:
    the reply service still routes and governs such a message, then says how to add a key.
    """

    def __init__(self, message: str, *, missing_credential: bool = False) -> None:
        super().__init__(message)
        self.missing_credential = missing_credential


@dataclass(frozen=True, slots=True)
class EnrichedMetadata:
    llm_model_id: str
    llm_provider: str
    llm_model_api_name: str
    credential_scope: str  # the RESOLVED scope (user, project, org, platform) or "none"
    is_byok: bool
    model: ModelDefinition = field(repr=False)
    credential: ResolvedCredential | None = field(repr=False)

    def to_metadata(self) -> dict[str, Any]:
        """The keys persisted on the message; JSON-serialisable, no credential."""
        return {
            "llm_model_id": self.llm_model_id,
            "llm_provider": self.llm_provider,
            "llm_model_api_name": self.llm_model_api_name,
            "credential_scope": self.credential_scope,
            "is_byok": self.is_byok,
        }


def _prefer_user(value: Any) -> bool:
    if value is None or value == AUTO_SCOPE:
        return False
    if value == USER_SCOPE:
        return True
    raise MetadataError(
        f'metadata.credential_scope must be "{AUTO_SCOPE}" or "{USER_SCOPE}", not {value!r}'
    )


def validate_message_metadata(
    raw: Mapping[str, Any],
    catalog: ModelCatalog,
    resolver: CredentialResolver,
    *,
    project_id: str | None = None,
    org_id: str | None = None,
) -> EnrichedMetadata:
    model_id = raw.get("llm_model_id")
    if not isinstance(model_id, str) or not model_id.strip():
        raise MetadataError("metadata.llm_model_id must be a non-empty string")
    model = catalog.get(model_id)
    if model is None:
        raise MetadataError(f"Unknown LLM model: {model_id}")
    provider = raw.get("llm_provider")
    if provider is not None and provider != model.provider:
        raise MetadataError("metadata.llm_provider does not match metadata.llm_model_id")
    prefer_user = _prefer_user(raw.get("credential_scope"))
    credential: ResolvedCredential | None = None
    if model.requires_key:
        try:
            credential = resolver.resolve(
                model.provider, project_id=project_id, org_id=org_id, prefer_user=prefer_user
            )
        except CredentialBlocked:
            raise MetadataError(
                f"BYOK credential for provider {model.provider} is configured but invalid or "
                f"locked; fix or remove it before using model {model_id}."
            ) from None
        except CredentialMissing:
            raise MetadataError(
                f"Selected model is not available: {model_id}", missing_credential=True
            ) from None
    return EnrichedMetadata(
        llm_model_id=model.model_id,
        llm_provider=model.provider,
        llm_model_api_name=model.api_name,
        credential_scope=credential.scope.value if credential else NO_CREDENTIAL,
        is_byok=credential.is_byok if credential else False,
        model=model,
        credential=credential,
    )
