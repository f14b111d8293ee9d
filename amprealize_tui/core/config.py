"""Paths, identity and settings: environment variables over the TOML config file over defaults."""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from amprealize_tui.core.paths import CONFIG_FILE_NAME, STATE_FILE_NAME, default_home
from amprealize_tui.core.routing.contract import RouteMode

DEFAULT_NVIDIA_BASE_URL = "https://integrate.api.nvidia.com/v1"


class ConfigError(Exception):
    """The config file or an environment variable is malformed; the message says how to fix it."""


class EndpointConfig(BaseModel):
    """A user-named OpenAI-compatible endpoint (a local Ollama or vLLM server, say)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    base_url: str = Field(min_length=1)
    api_key_env: str | None = None
    models: tuple[str, ...] = ()

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")


class FileConfig(BaseModel):
    """What config.toml may hold. Unknown keys are an error so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(default=None, min_length=1, max_length=128)
    org_id: str | None = Field(default=None, min_length=1, max_length=128)
    route_mode: RouteMode | None = None
    routing_model: str | None = None
    routing_timeout: float | None = Field(default=None, gt=0, le=120)
    reply_read_timeout: float | None = Field(default=None, gt=0, le=3600)
    nvidia_base_url: str | None = None
    theme: str | None = None
    endpoints: tuple[EndpointConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    user_id: str
    org_id: str | None
    route_mode: RouteMode
    routing_model: str | None
    routing_timeout: float
    reply_read_timeout: float
    nvidia_base_url: str
    theme: str | None
    endpoints: tuple[EndpointConfig, ...]

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_FILE_NAME

    @property
    def database_path(self) -> Path:
        return self.home / "amprealize.db"

    @property
    def audit_path(self) -> Path:
        return self.home / "audit.jsonl"

    @property
    def vault_path(self) -> Path:
        return self.home / "vault.json"

    @property
    def state_path(self) -> Path:
        """UI state the app remembers (theme); kept apart from the user's hand-written config."""
        return self.home / STATE_FILE_NAME


def _read_file_config(path: Path) -> FileConfig:
    if not path.exists():
        return FileConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove the file.") from None
    try:
        return FileConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{path} has invalid settings: {problems}") from None


def _env_route_mode(env: Mapping[str, str]) -> RouteMode | None:
    value = env.get("AMPREALIZE_CHAT_ROUTE_MODE")
    if not value:
        return None
    try:
        return RouteMode(value.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in RouteMode)
        raise ConfigError(
            f"AMPREALIZE_CHAT_ROUTE_MODE={value!r} is not a route mode; use one of: {allowed}."
        ) from None


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local-user"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (wins) and the data directory's config.toml."""
    env = os.environ if env is None else env
    home = default_home(env)
    file = _read_file_config(home / CONFIG_FILE_NAME)
    return Settings(
        home=home,
        user_id=file.user_id or _login_name(),
        org_id=file.org_id,
        route_mode=_env_route_mode(env) or file.route_mode or RouteMode.DETERMINISTIC,
        routing_model=env.get("AMPREALIZE_CHAT_ROUTING_MODEL") or file.routing_model,
        routing_timeout=file.routing_timeout or 8.0,
        reply_read_timeout=file.reply_read_timeout or 600.0,
        nvidia_base_url=(
            env.get("AMPREALIZE_NVIDIA_BASE_URL") or file.nvidia_base_url or DEFAULT_NVIDIA_BASE_URL
        ).rstrip("/"),
        theme=file.theme,
        endpoints=file.endpoints,
    )


def ensure_home(settings: Settings) -> Path:
    """Create the data directory, private to the user (0700)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.home, 0o700)
    return settings.home
