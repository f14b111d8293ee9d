"""The model catalog: the curated NVIDIA models, a few priced frontier models, user endpoints.

Model ids are `"{provider}/{api_name}"` (e.g. "nvidia/deepseek-ai/deepseek-v4-flash",
"ollama/llama3.2"): unique across providers by construction, stable across releases, and what
the composer sends as metadata.llm_model_id. `api_name` is what goes in the request body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from amprealize_tui.core.config import ConfigError, EndpointConfig, Settings
from amprealize_tui.core.credentials.platform import PLATFORM_ENV_VARS

NVIDIA = "nvidia"
OPENAI = "openai"
ANTHROPIC = "anthropic"
OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com/v1"  # Anthropic's OpenAI-compatible endpoint

# A user endpoint does not say how long its models' context is; assume a conservative window.
ENDPOINT_CONTEXT_LIMIT = 8_192
ENDPOINT_MAX_OUTPUT_TOKENS = 4_096

_PROVIDER_LABELS = {NVIDIA: "NVIDIA", OPENAI: "OpenAI", ANTHROPIC: "Anthropic"}


def provider_label(provider: str) -> str:
    """How messages name a provider ("NVIDIA"; a user endpoint goes by its configured name)."""
    return _PROVIDER_LABELS.get(provider, provider)


@dataclass(frozen=True, slots=True)
class ModelDefinition:
    model_id: str
    api_name: str
    provider: str
    display_name: str
    context_limit: int
    max_output_tokens: int
    input_price_per_million: float
    output_price_per_million: float
    supports_structured_output: bool
    supports_reasoning: bool
    is_open_model: bool
    free_endpoint: bool
    is_default: bool
    chat_model: bool
    base_url: str
    requires_key: bool = True  # False only for a user endpoint configured without api_key_env
    api_key_env: str | None = None  # the environment variable a platform key is read from

    @property
    def is_free_and_open(self) -> bool:
        return self.is_open_model and self.free_endpoint


@dataclass(frozen=True, slots=True)
class _NvidiaModel:
    display_name: str
    api_name: str
    context_limit: int
    max_output_tokens: int
    supports_reasoning: bool


# DESIGN.md section 4, in picker order; the first is the one default.
_NVIDIA_MODELS = (
    _NvidiaModel("DeepSeek V4 Flash", "deepseek-ai/deepseek-v4-flash", 1_000_000, 32_768, True),
    _NvidiaModel("DeepSeek V4 Pro", "deepseek-ai/deepseek-v4-pro", 1_000_000, 32_768, True),
    _NvidiaModel("MiniMax M2.7", "minimaxai/minimax-m2.7", 200_000, 32_768, True),
    _NvidiaModel("Kimi K2 Thinking", "moonshotai/kimi-k2-thinking", 256_000, 32_768, True),
    _NvidiaModel("Qwen3 Coder", "qwen/qwen3-coder-480b-a35b-instruct", 262_144, 65_536, False),
    _NvidiaModel("GPT-OSS 120B", "openai/gpt-oss-120b", 131_072, 32_768, True),
    _NvidiaModel(
        "Mistral Large 3", "mistralai/mistral-large-3-675b-instruct-2512", 256_000, 32_768, False
    ),
    _NvidiaModel("GLM 5.1", "z-ai/glm-5.1", 200_000, 32_768, True),
    _NvidiaModel(
        "Llama 3.1 Nemotron Ultra", "nvidia/llama-3.1-nemotron-ultra-253b-v1", 128_000, 16_384, True
    ),
    _NvidiaModel("Llama 3.3 70B", "meta/llama-3.3-70b-instruct", 128_000, 16_384, False),
)


def model_id_for(provider: str, api_name: str) -> str:
    return f"{provider}/{api_name}"


def nvidia_models(base_url: str) -> list[ModelDefinition]:
    return [
        ModelDefinition(
            model_id=model_id_for(NVIDIA, m.api_name),
            api_name=m.api_name,
            provider=NVIDIA,
            display_name=m.display_name,
            context_limit=m.context_limit,
            max_output_tokens=m.max_output_tokens,
            input_price_per_million=0.0,
            output_price_per_million=0.0,
            supports_structured_output=True,
            supports_reasoning=m.supports_reasoning,
            is_open_model=True,
            free_endpoint=True,
            is_default=index == 0,
            chat_model=True,
            base_url=base_url,
            api_key_env=PLATFORM_ENV_VARS[NVIDIA],
        )
        for index, m in enumerate(_NVIDIA_MODELS)
    ]


def _frontier(
    provider: str,
    base_url: str,
    display_name: str,
    api_name: str,
    context_limit: int,
    max_output_tokens: int,
    prices: tuple[float, float],
) -> ModelDefinition:
    return ModelDefinition(
        model_id=model_id_for(provider, api_name),
        api_name=api_name,
        provider=provider,
        display_name=display_name,
        context_limit=context_limit,
        max_output_tokens=max_output_tokens,
        input_price_per_million=prices[0],
        output_price_per_million=prices[1],
        supports_structured_output=True,
        supports_reasoning=True,
        is_open_model=False,
        free_endpoint=False,
        is_default=False,
        chat_model=True,
        base_url=base_url,
        api_key_env=PLATFORM_ENV_VARS[provider],
    )


# Priced platform models: in the catalog, hidden from the global chat picker by default.
FRONTIER_MODELS = (
    _frontier(OPENAI, OPENAI_BASE_URL, "GPT-5", "gpt-5", 400_000, 128_000, (1.25, 10.0)),
    _frontier(OPENAI, OPENAI_BASE_URL, "GPT-5 mini", "gpt-5-mini", 400_000, 128_000, (0.25, 2.0)),
    _frontier(
        ANTHROPIC,
        ANTHROPIC_BASE_URL,
        "Claude Sonnet 4.5",
        "claude-sonnet-4-5",
        200_000,
        64_000,
        (3.0, 15.0),
    ),
)


def endpoint_models(endpoint: EndpointConfig) -> list[ModelDefinition]:
    """A user-named OpenAI-compatible endpoint's models: free and open, provider = its name."""
    return [
        ModelDefinition(
            model_id=model_id_for(endpoint.name, api_name),
            api_name=api_name,
            provider=endpoint.name,
            display_name=f"{api_name} ({endpoint.name})",
            context_limit=ENDPOINT_CONTEXT_LIMIT,
            max_output_tokens=ENDPOINT_MAX_OUTPUT_TOKENS,
            input_price_per_million=0.0,
            output_price_per_million=0.0,
            supports_structured_output=False,
            supports_reasoning=False,
            is_open_model=True,
            free_endpoint=True,
            is_default=False,
            chat_model=True,
            base_url=endpoint.base_url,
            requires_key=endpoint.api_key_env is not None,
            api_key_env=endpoint.api_key_env,
        )
        for api_name in endpoint.models
    ]


class ModelCatalog:
    """Every model the app knows, in display order. Exactly one is the default."""

    def __init__(self, models: Iterable[ModelDefinition]) -> None:
        self._models = tuple(models)
        self._by_id: dict[str, ModelDefinition] = {}
        for model in self._models:
            if model.model_id in self._by_id:
                raise ValueError(f"duplicate model id in catalog: {model.model_id}")
            self._by_id[model.model_id] = model
        defaults = [m for m in self._models if m.is_default]
        if len(defaults) != 1:
            raise ValueError(f"the catalog needs exactly one default model, has {len(defaults)}")
        self._default = defaults[0]

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelCatalog:
        """NVIDIA (at settings.nvidia_base_url), the frontier models, then config endpoints."""
        reserved = {NVIDIA, OPENAI, ANTHROPIC}
        models = [*nvidia_models(settings.nvidia_base_url), *FRONTIER_MODELS]
        for endpoint in settings.endpoints:
            if endpoint.name in reserved:
                raise ConfigError(
                    f"endpoint name {endpoint.name!r} is reserved for the built-in provider; "
                    "rename the endpoint in config.toml."
                )
            reserved.add(endpoint.name)
            models += endpoint_models(endpoint)
        return cls(models)

    def get(self, model_id: str) -> ModelDefinition | None:
        return self._by_id.get(model_id)

    def lookup(self, name: str) -> ModelDefinition | None:
        """A model by id, or by API name when exactly one model has it (for CLI arguments)."""
        if name in self._by_id:
            return self._by_id[name]
        matches = [m for m in self._models if m.api_name == name]
        return matches[0] if len(matches) == 1 else None

    def default(self) -> ModelDefinition:
        return self._default

    def default_for(self, provider: str) -> ModelDefinition | None:
        """The provider's preferred model: the catalog default if it is theirs, else their first."""
        if self._default.provider == provider:
            return self._default
        return next((m for m in self._models if m.provider == provider), None)

    def all(self) -> list[ModelDefinition]:
        return list(self._models)

    def providers(self) -> list[str]:
        return list(dict.fromkeys(m.provider for m in self._models))
