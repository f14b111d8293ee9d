"""Message metadata validation: every error message of DESIGN.md section 3, and enrichment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from amprealize_tui.core.config import load_settings
from amprealize_tui.core.conversations.metadata import MetadataError, validate_message_metadata
from amprealize_tui.core.credentials.platform import PlatformCredentials
from amprealize_tui.core.credentials.types import CredentialScope, ResolvedCredential, Secret
from amprealize_tui.core.providers.models import ModelCatalog
from tests.providers_helpers import KEY, ScriptedResolver, blocked, credential

MODEL_ID = "nvidia/deepseek-ai/deepseek-v4-flash"


@pytest.fixture
def catalog() -> ModelCatalog:
    return ModelCatalog.from_settings(load_settings())


def _validate(raw: dict[str, Any], catalog: ModelCatalog, resolver=None, **kw: Any):
    return validate_message_metadata(
        raw, catalog, resolver or ScriptedResolver({"nvidia": credential()}), **kw
    )


@pytest.mark.parametrize("value", [None, "", "   ", 42, ["x"]])
def test_model_id_must_be_a_non_empty_string(catalog: ModelCatalog, value: Any) -> None:
    raw = {} if value is None else {"llm_model_id": value}
    with pytest.raises(MetadataError) as caught:
        _validate(raw, catalog)
    assert str(caught.value) == "metadata.llm_model_id must be a non-empty string"


def test_unknown_model(catalog: ModelCatalog) -> None:
    with pytest.raises(MetadataError) as caught:
        _validate({"llm_model_id": "nvidia/made-up"}, catalog)
    assert str(caught.value) == "Unknown LLM model: nvidia/made-up"


def test_provider_must_match_the_model(catalog: ModelCatalog) -> None:
    with pytest.raises(MetadataError) as caught:
        _validate({"llm_model_id": MODEL_ID, "llm_provider": "openai"}, catalog)
    assert str(caught.value) == "metadata.llm_provider does not match metadata.llm_model_id"


def test_blocked_credential(catalog: ModelCatalog) -> None:
    with pytest.raises(MetadataError) as caught:
        _validate({"llm_model_id": MODEL_ID}, catalog, ScriptedResolver({"nvidia": blocked()}))
    assert str(caught.value) == (
        "BYOK credential for provider nvidia is configured but invalid or locked; fix or remove "
        f"it before using model {MODEL_ID}."
    )


def test_missing_credential(catalog: ModelCatalog) -> None:
    with pytest.raises(MetadataError) as caught:
        _validate({"llm_model_id": MODEL_ID}, catalog, PlatformCredentials({}))
    assert str(caught.value) == f"Selected model is not available: {MODEL_ID}"


@pytest.mark.parametrize("scope", ["project", "platform", "USER", 1])
def test_credential_scope_is_auto_or_user(catalog: ModelCatalog, scope: Any) -> None:
    with pytest.raises(MetadataError, match='credential_scope must be "auto" or "user"'):
        _validate({"llm_model_id": MODEL_ID, "credential_scope": scope}, catalog)


@pytest.mark.parametrize(("scope", "prefer_user"), [(None, False), ("auto", False), ("user", True)])
def test_credential_scope_sets_the_resolution_order(
    catalog: ModelCatalog, scope: str | None, prefer_user: bool
) -> None:
    resolver = ScriptedResolver({"nvidia": credential()})
    raw = {"llm_model_id": MODEL_ID, "llm_provider": "nvidia", "credential_scope": scope}
    _validate(raw, catalog, resolver, project_id="p1", org_id="o1")
    assert resolver.calls == [("nvidia", "p1", "o1", prefer_user)]


def test_enriched_metadata_has_the_resolved_scope_and_no_secret(catalog: ModelCatalog) -> None:
    project_key = ResolvedCredential("nvidia", CredentialScope.PROJECT, Secret(KEY), "rec-9")
    enriched = _validate(
        {"llm_model_id": MODEL_ID, "credential_scope": "auto"},
        catalog,
        ScriptedResolver({"nvidia": project_key}),
        project_id="p1",
    )
    assert enriched.credential is project_key
    assert enriched.to_metadata() == {
        "llm_model_id": MODEL_ID,
        "llm_provider": "nvidia",
        "llm_model_api_name": "deepseek-ai/deepseek-v4-flash",
        "credential_scope": "project",
        "is_byok": True,
    }
    assert KEY not in json.dumps(enriched.to_metadata()) and KEY not in repr(enriched)


def test_platform_key_is_not_byok(catalog: ModelCatalog) -> None:
    enriched = _validate(
        {"llm_model_id": MODEL_ID}, catalog, PlatformCredentials({"NVIDIA_API_KEY": KEY})
    )
    assert (enriched.credential_scope, enriched.is_byok) == ("platform", False)


def test_keyless_endpoint_needs_no_credential(isolated_home) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        '[[endpoints]]\nname = "local"\nbase_url = "http://127.0.0.1:1/v1"\nmodels = ["tiny"]\n'
    )
    catalog = ModelCatalog.from_settings(load_settings())
    enriched = _validate({"llm_model_id": "local/tiny"}, catalog, ScriptedResolver())
    assert enriched.credential is None
    assert enriched.to_metadata()["credential_scope"] == "none"
    assert enriched.to_metadata()["is_byok"] is False
