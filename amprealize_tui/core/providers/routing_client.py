"""The model call behind LLM and hybrid routing: which model, and whose key pays for it."""

from __future__ import annotations

from amprealize_tui.core.credentials.types import CredentialError, CredentialResolver
from amprealize_tui.core.providers.client import JsonCompleter, ProviderClient
from amprealize_tui.core.providers.models import ModelCatalog, ModelDefinition


class UnknownRoutingModel(ValueError):
    """The configured or requested routing model is not in the catalog."""


class RoutingCompleters:
    """Builds the JSON completer for one routing call.

    The model is the explicit one (`--model`, AMPREALIZE_CHAT_ROUTING_MODEL / config), else the
    model the user picked for the reply, else the catalog default. The key is resolved exactly as
    the reply's would be (same scopes, same fail-closed rule), so BYOK pays for routing too; with
    no usable key there is no completer and the gateway falls back with llm_unavailable.
    """

    def __init__(
        self,
        catalog: ModelCatalog,
        resolver: CredentialResolver,
        client: ProviderClient,
        *,
        model_id: str | None = None,
    ) -> None:
        self._catalog = catalog
        self._resolver = resolver
        self._client = client
        self._model = self._lookup(model_id) if model_id else None

    def _lookup(self, model_id: str) -> ModelDefinition:
        model = self._catalog.lookup(model_id)
        if model is None:
            raise UnknownRoutingModel(
                f"Unknown routing model: {model_id} (see `amprealize-tui models --all-models`)"
            )
        return model

    def model(self, fallback: ModelDefinition | None = None) -> ModelDefinition:
        return self._model or fallback or self._catalog.default()

    def for_context(
        self,
        *,
        project_id: str | None = None,
        org_id: str | None = None,
        prefer_user: bool = False,
        fallback: ModelDefinition | None = None,
    ) -> JsonCompleter | None:
        model = self.model(fallback)
        credential = None
        if model.requires_key:
            try:
                credential = self._resolver.resolve(
                    model.provider, project_id=project_id, org_id=org_id, prefer_user=prefer_user
                )
            except CredentialError:
                return None
        return self._client.json_completer(model, credential)
