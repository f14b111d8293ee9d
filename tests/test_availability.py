"""Model availability and readiness: filters, credential sources, each readiness state."""

from __future__ import annotations

from pathlib import Path

import pytest

from amprealize_tui.core.config import load_settings
from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.types import CredentialScope
from amprealize_tui.core.providers.availability import (
    ReadinessState,
    available_models,
    compute_availability,
    readiness,
)
from amprealize_tui.core.providers.models import ModelCatalog
from tests.providers_helpers import ScriptedResolver, blocked, credential

DEFAULT_ID = "nvidia/deepseek-ai/deepseek-v4-flash"


@pytest.fixture
def catalog() -> ModelCatalog:
    return ModelCatalog.from_settings(load_settings())


def _all_keys() -> PlatformCredentials:
    return PlatformCredentials(
        {
            "NVIDIA_API_KEY": "nvapi-x" * 3,
            "OPENAI_API_KEY": "sk-o" * 5,
            "ANTHROPIC_API_KEY": "a" * 20,
        }
    )


def test_default_filter_hides_frontier_and_other_providers(catalog: ModelCatalog) -> None:
    models = available_models(catalog, _all_keys())
    assert len(models) == 10
    assert {a.model.provider for a in models} == {"nvidia"}
    assert all(a.credential_source == "platform" and not a.is_byok for a in models)


def test_all_models_and_all_providers_show_frontier(catalog: ModelCatalog) -> None:
    everything = available_models(catalog, _all_keys(), provider_filter="all", free_open_only=False)
    assert {a.model.provider for a in everything} == {"nvidia", "openai", "anthropic"}
    assert len(everything) == len(catalog.all())
    # Free/open only still hides the priced ones even across providers.
    free = available_models(catalog, _all_keys(), provider_filter="all")
    assert {a.model.provider for a in free} == {"nvidia"}
    openai = available_models(catalog, _all_keys(), provider_filter="openai", free_open_only=False)
    assert openai and {a.model.provider for a in openai} == {"openai"}


def test_ready_with_a_byok_key_resolves_once(catalog: ModelCatalog) -> None:
    resolver = ScriptedResolver({"nvidia": credential()})
    result = compute_availability(catalog, resolver, project_id="p1", org_id="o1", prefer_user=True)
    assert result.readiness.state is ReadinessState.READY
    assert result.readiness.suggested_model_id == DEFAULT_ID
    assert "DeepSeek V4 Flash" in result.readiness.message
    assert all(
        a.credential_source == CredentialScope.USER.value and a.is_byok for a in result.models
    )
    assert resolver.calls == [("nvidia", "p1", "o1", True)]
    assert resolver.marked_used == [False]  # listing models is not a use of the key
    assert result.get(DEFAULT_ID) is not None and result.get("nope") is None


def test_needs_api_key_when_nothing_resolves(catalog: ModelCatalog) -> None:
    state = readiness(catalog, PlatformCredentials({}))
    assert state.state is ReadinessState.NEEDS_API_KEY
    assert state.suggested_model_id == DEFAULT_ID
    assert state.message == "Add your NVIDIA key in Settings (F2) or set NVIDIA_API_KEY."
    assert compute_availability(catalog, PlatformCredentials({})).missing == ("nvidia",)


def test_invalid_key_when_the_configured_key_is_blocked(catalog: ModelCatalog) -> None:
    problem = blocked()
    result = compute_availability(catalog, ScriptedResolver({"nvidia": problem}))
    assert result.models == ()
    assert result.readiness.state is ReadinessState.INVALID_KEY
    assert result.readiness.message == str(problem)  # the vault's reason names the remedy
    assert set(result.blocked) == {"nvidia"}


def test_no_model_available_when_the_filter_leaves_none(catalog: ModelCatalog) -> None:
    state = readiness(catalog, _all_keys(), provider_filter="openai")  # openai is priced only
    assert state.state is ReadinessState.NO_MODEL_AVAILABLE
    assert state.suggested_model_id is None
    assert "openai" in state.message and "priced" in state.message
    unknown = readiness(catalog, _all_keys(), provider_filter="nobody")
    assert unknown.state is ReadinessState.NO_MODEL_AVAILABLE


def test_keyless_endpoint_is_available_without_a_credential(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        '[[endpoints]]\nname = "local"\nbase_url = "http://127.0.0.1:1/v1"\nmodels = ["tiny"]\n'
    )
    catalog = ModelCatalog.from_settings(load_settings())
    resolver = ScriptedResolver({"nvidia": blocked()})
    result = compute_availability(catalog, resolver, provider_filter="all")
    assert [(a.model.model_id, a.credential_source, a.is_byok) for a in result.models] == [
        ("local/tiny", "none", False)
    ]
    assert result.readiness.state is ReadinessState.READY
    assert result.readiness.suggested_model_id == "local/tiny"
    assert set(result.blocked) == {"nvidia"}  # still reported, for the settings screen
    assert [c[0] for c in resolver.calls] == ["nvidia"]  # the keyless endpoint is not resolved
