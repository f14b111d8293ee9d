"""Which models the user can pick right now, and what to tell them when the answer is none.

One pass resolves each provider's credential once and yields both the model list and the
readiness verdict, so the UI never resolves twice. A model is available when a credential for
its provider resolves, or when it is on a user endpoint that needs no key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from amprealize_tui.core.credentials.types import (
    CredentialBlocked,
    CredentialMissing,
    CredentialResolver,
    ResolvedCredential,
)
from amprealize_tui.core.providers.models import ModelCatalog, ModelDefinition, provider_label

ALL_PROVIDERS = "all"
NO_CREDENTIAL = "none"  # credential_source of a keyless local endpoint


@dataclass(frozen=True, slots=True)
class AvailableModel:
    model: ModelDefinition
    credential_source: str  # a CredentialScope value, or "none" for a keyless endpoint
    is_byok: bool


class ReadinessState(StrEnum):
    READY = "ready"
    NEEDS_API_KEY = "needs_api_key"
    INVALID_KEY = "invalid_key"
    NO_MODEL_AVAILABLE = "no_model_available"


@dataclass(frozen=True, slots=True)
class Readiness:
    state: ReadinessState
    suggested_model_id: str | None
    message: str  # one sentence telling the user what to do


@dataclass(frozen=True, slots=True)
class Availability:
    models: tuple[AvailableModel, ...]
    readiness: Readiness
    blocked: dict[str, CredentialBlocked]  # provider -> why its configured key cannot be used
    missing: tuple[str, ...]  # providers with no credential at all

    def get(self, model_id: str) -> AvailableModel | None:
        return next((a for a in self.models if a.model.model_id == model_id), None)


def _candidates(
    catalog: ModelCatalog, provider_filter: str, free_open_only: bool
) -> list[ModelDefinition]:
    return [
        m
        for m in catalog.all()
        if m.chat_model
        and (provider_filter == ALL_PROVIDERS or m.provider == provider_filter)
        and (m.is_free_and_open or not free_open_only)
    ]


def _suggested(catalog: ModelCatalog, models: list[ModelDefinition]) -> ModelDefinition:
    """The catalog default when it is among `models` (not empty), else the first of them."""
    default = catalog.default()
    return default if default in models else models[0]


def _readiness(
    catalog: ModelCatalog,
    candidates: list[ModelDefinition],
    available: list[AvailableModel],
    blocked: dict[str, CredentialBlocked],
    provider_filter: str,
    free_open_only: bool,
) -> Readiness:
    if not candidates:
        what = "free, open " if free_open_only else ""
        where = "any provider" if provider_filter == ALL_PROVIDERS else provider_filter
        known = ", ".join(catalog.providers())
        return Readiness(
            ReadinessState.NO_MODEL_AVAILABLE,
            None,
            f"No {what}chat model is configured for {where} (providers: {known}); pick another "
            "provider, include priced models, or add an endpoint in config.toml.",
        )
    if available:
        pick = _suggested(catalog, [a.model for a in available])
        return Readiness(
            ReadinessState.READY,
            pick.model_id,
            f"{len(available)} model(s) ready; {pick.display_name} is selected.",
        )
    suggested = _suggested(catalog, candidates)
    if blocked:
        problem = next(iter(blocked.values()))
        return Readiness(
            ReadinessState.INVALID_KEY,
            suggested.model_id,
            str(problem),  # says what is wrong with the key and how to fix it
        )
    env = f" or set {suggested.api_key_env}" if suggested.api_key_env else ""
    return Readiness(
        ReadinessState.NEEDS_API_KEY,
        suggested.model_id,
        f"Add your {provider_label(suggested.provider)} key in Settings (F2){env}.",
    )


def compute_availability(
    catalog: ModelCatalog,
    resolver: CredentialResolver,
    *,
    provider_filter: str = "nvidia",
    free_open_only: bool = True,
    project_id: str | None = None,
    org_id: str | None = None,
    prefer_user: bool = False,
) -> Availability:
    """Available models in catalog order plus the readiness verdict, resolving each provider
    once. provider_filter "all" means every provider."""
    candidates = _candidates(catalog, provider_filter, free_open_only)
    resolved: dict[str, ResolvedCredential] = {}
    blocked: dict[str, CredentialBlocked] = {}
    missing: list[str] = []
    available: list[AvailableModel] = []
    for model in candidates:
        if not model.requires_key:
            available.append(AvailableModel(model, NO_CREDENTIAL, is_byok=False))
            continue
        provider = model.provider
        if provider not in resolved and provider not in blocked and provider not in missing:
            try:
                resolved[provider] = resolver.resolve(
                    provider,
                    project_id=project_id,
                    org_id=org_id,
                    prefer_user=prefer_user,
                    mark_used=False,  # listing models is not a use of the key
                )
            except CredentialBlocked as exc:
                blocked[provider] = exc
            except CredentialMissing:
                missing.append(provider)
        if credential := resolved.get(provider):
            available.append(AvailableModel(model, credential.scope.value, credential.is_byok))
    readiness = _readiness(catalog, candidates, available, blocked, provider_filter, free_open_only)
    return Availability(tuple(available), readiness, blocked, tuple(missing))


def available_models(
    catalog: ModelCatalog,
    resolver: CredentialResolver,
    *,
    provider_filter: str = "nvidia",
    free_open_only: bool = True,
    project_id: str | None = None,
    org_id: str | None = None,
    prefer_user: bool = False,
) -> list[AvailableModel]:
    return list(
        compute_availability(
            catalog,
            resolver,
            provider_filter=provider_filter,
            free_open_only=free_open_only,
            project_id=project_id,
            org_id=org_id,
            prefer_user=prefer_user,
        ).models
    )


def readiness(
    catalog: ModelCatalog,
    resolver: CredentialResolver,
    *,
    provider_filter: str = "nvidia",
    free_open_only: bool = True,
    project_id: str | None = None,
    org_id: str | None = None,
    prefer_user: bool = False,
) -> Readiness:
    return compute_availability(
        catalog,
        resolver,
        provider_filter=provider_filter,
        free_open_only=free_open_only,
        project_id=project_id,
        org_id=org_id,
        prefer_user=prefer_user,
    ).readiness
