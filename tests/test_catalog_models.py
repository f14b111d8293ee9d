"""The model catalog: curated NVIDIA models, frontier models, user endpoints."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from amprealize_tui.core.config import ConfigError, load_settings
from amprealize_tui.core.providers.models import ModelCatalog, nvidia_models

CURATED = {
    "DeepSeek V4 Flash": ("deepseek-ai/deepseek-v4-flash", 1_000_000),
    "DeepSeek V4 Pro": ("deepseek-ai/deepseek-v4-pro", 1_000_000),
    "MiniMax M2.7": ("minimaxai/minimax-m2.7", 200_000),
    "Kimi K2 Thinking": ("moonshotai/kimi-k2-thinking", 256_000),
    "Qwen3 Coder": ("qwen/qwen3-coder-480b-a35b-instruct", 262_144),
    "GPT-OSS 120B": ("openai/gpt-oss-120b", 131_072),
    "Mistral Large 3": ("mistralai/mistral-large-3-675b-instruct-2512", 256_000),
    "GLM 5.1": ("z-ai/glm-5.1", 200_000),
    "Llama 3.1 Nemotron Ultra": ("nvidia/llama-3.1-nemotron-ultra-253b-v1", 128_000),
    "Llama 3.3 70B": ("meta/llama-3.3-70b-instruct", 128_000),
}


def _write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def test_the_ten_curated_nvidia_models() -> None:
    catalog = ModelCatalog.from_settings(load_settings())
    nvidia = [m for m in catalog.all() if m.provider == "nvidia"]
    assert {m.display_name: (m.api_name, m.context_limit) for m in nvidia} == CURATED
    for model in nvidia:
        assert model.model_id == f"nvidia/{model.api_name}"
        assert model.is_open_model and model.free_endpoint and model.is_free_and_open
        assert model.input_price_per_million == model.output_price_per_million == 0
        assert model.base_url == "https://integrate.api.nvidia.com/v1"
        assert model.requires_key and model.api_key_env == "NVIDIA_API_KEY"
        assert 0 < model.max_output_tokens <= model.context_limit


def test_exactly_one_default_deepseek_v4_flash() -> None:
    catalog = ModelCatalog.from_settings(load_settings())
    assert [m.display_name for m in catalog.all() if m.is_default] == ["DeepSeek V4 Flash"]
    assert catalog.default().model_id == "nvidia/deepseek-ai/deepseek-v4-flash"


def test_frontier_models_are_priced_and_closed() -> None:
    catalog = ModelCatalog.from_settings(load_settings())
    frontier = [m for m in catalog.all() if m.provider in ("openai", "anthropic")]
    assert {m.provider for m in frontier} == {"openai", "anthropic"}
    for model in frontier:
        assert not model.is_open_model and not model.free_endpoint
        assert model.input_price_per_million > 0 and model.output_price_per_million > 0


def test_get_and_lookup() -> None:
    catalog = ModelCatalog.from_settings(load_settings())
    assert catalog.get("nvidia/z-ai/glm-5.1").display_name == "GLM 5.1"
    assert catalog.get("z-ai/glm-5.1") is None  # get is exact: ids only
    assert catalog.lookup("z-ai/glm-5.1").model_id == "nvidia/z-ai/glm-5.1"
    assert catalog.lookup("nope") is None
    assert catalog.default_for("anthropic").provider == "anthropic"
    assert catalog.default_for("nobody") is None


def test_nvidia_base_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", "http://127.0.0.1:9999/v1/")
    catalog = ModelCatalog.from_settings(load_settings())
    assert catalog.default().base_url == "http://127.0.0.1:9999/v1"


def test_configured_endpoints_become_providers(isolated_home: Path) -> None:
    _write_config(
        isolated_home,
        """
[[endpoints]]
name = "ollama"
base_url = "http://127.0.0.1:11434/v1"
models = ["llama3.2", "qwen2.5"]

[[endpoints]]
name = "vllm"
base_url = "http://gpu-box:8000/v1"
api_key_env = "VLLM_KEY"
models = ["meta/llama-3.3-70b-instruct"]
""",
    )
    catalog = ModelCatalog.from_settings(load_settings())
    local = catalog.get("ollama/llama3.2")
    assert local is not None and local.provider == "ollama" and not local.requires_key
    assert local.base_url == "http://127.0.0.1:11434/v1" and local.is_free_and_open
    keyed = catalog.get("vllm/meta/llama-3.3-70b-instruct")
    assert keyed is not None and keyed.requires_key and keyed.api_key_env == "VLLM_KEY"
    # Same API name as an NVIDIA model, different id: no clash.
    assert catalog.get("nvidia/meta/llama-3.3-70b-instruct").provider == "nvidia"
    assert catalog.lookup("meta/llama-3.3-70b-instruct") is None  # ambiguous by API name
    assert catalog.providers() == ["nvidia", "openai", "anthropic", "ollama", "vllm"]


def test_an_endpoint_may_not_take_a_builtin_name(isolated_home: Path) -> None:
    _write_config(
        isolated_home, '[[endpoints]]\nname = "nvidia"\nbase_url = "http://x/v1"\nmodels = ["m"]\n'
    )
    with pytest.raises(ConfigError, match="'nvidia' is reserved"):
        ModelCatalog.from_settings(load_settings())


def test_catalog_rejects_duplicates_and_a_missing_default() -> None:
    models = nvidia_models("http://x/v1")
    with pytest.raises(ValueError, match="duplicate model id"):
        ModelCatalog([*models, models[0]])
    with pytest.raises(ValueError, match="exactly one default"):
        ModelCatalog([dataclasses.replace(m, is_default=False) for m in models])
