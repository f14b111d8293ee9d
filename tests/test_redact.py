"""Secret redaction: known key shapes, generic random tokens, secret-named keys; no false alarms."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

import pytest
from pydantic import BaseModel

from amprealize_tui.core.audit.redact import REDACTED, redact, redact_text
from amprealize_tui.core.credentials.masking import mask_key
from amprealize_tui.core.credentials.types import Secret

NVAPI = "nvapi-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 2
OPENAI = "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0" * 2
ANTHROPIC = "sk-ant-api03-" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3" * 2
AWS = "AKIAIOSFODNN7EXAMPLE"
GENERIC = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"


@pytest.mark.parametrize("secret", [NVAPI, OPENAI, ANTHROPIC, AWS, GENERIC, "sk-abcdefgh12"])
def test_key_shapes_are_redacted_alone_and_inside_text(secret: str) -> None:
    assert redact_text(secret) == REDACTED
    text = f"my key is {secret}, please use it."
    assert redact_text(text) == f"my key is {REDACTED}, please use it."


def test_bearer_token_is_replaced_keeping_the_word() -> None:
    assert redact_text("Authorization: Bearer abc.def-ghi") == f"Authorization: Bearer {REDACTED}"
    assert redact_text(f"bearer {NVAPI} end") == f"bearer {REDACTED} end"


def test_several_secrets_in_one_string() -> None:
    text = f"{NVAPI} and {AWS} and {OPENAI}"
    assert redact_text(text) == f"{REDACTED} and {REDACTED} and {REDACTED}"


@pytest.mark.parametrize(
    "text",
    [
        "deepseek-ai/deepseek-v4-flash",
        "qwen/qwen3-coder-480b-a35b-instruct",
        "mistralai/mistral-large-3-675b-instruct-2512",
        "nvidia/llama-3.1-nemotron-ultra-253b-v1",
        "moonshotai/kimi-k2-thinking",
        uuid.uuid4().hex,
        str(uuid.uuid4()),
        "2025-03-01T12:00:00.000000+00:00",
        "chat.read_synthesis",
        "global_user_home",
        "credential_scope",
        "chat_route_policy_context",
        "a plain sentence about tasks and desks",
        "ask-the-model",
        "/home/user/projects/amprealize/README.md",
        "abcdefghijklmnopqrstuvwxyzabcdef",  # long but no digits
        "12345678901234567890123456789",  # long but no letters
        mask_key(NVAPI),
        mask_key("short"),
    ],
)
def test_no_false_positives(text: str) -> None:
    assert redact_text(text) == text


def test_nested_metadata_and_secret_named_keys() -> None:
    message_id = uuid.uuid4().hex
    metadata = {
        "llm_model_id": "deepseek-ai/deepseek-v4-flash",
        "message_id": message_id,
        "api_key": "short",
        "Authorization": "anything",
        "password": "hunter2",
        "token": None,
        "nested": {"list": ["fine", f"key={NVAPI}", {"deeper": AWS}], "tuple": ("a", OPENAI)},
        "count": 3,
        "ratio": 0.5,
        "flag": True,
    }
    assert redact(metadata) == {
        "llm_model_id": "deepseek-ai/deepseek-v4-flash",
        "message_id": message_id,
        "api_key": REDACTED,
        "Authorization": REDACTED,
        "password": REDACTED,
        "token": None,
        "nested": {
            "list": ["fine", f"key={REDACTED}", {"deeper": REDACTED}],
            "tuple": ["a", REDACTED],
        },
        "count": 3,
        "ratio": 0.5,
        "flag": True,
    }


def test_secret_in_a_dict_key_is_redacted() -> None:
    assert redact({NVAPI: 1}) == {REDACTED: 1}


class Colour(StrEnum):
    RED = "red"


class Model(BaseModel):
    name: str
    key: str


def test_non_json_values_become_safe_json() -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = redact(
        {
            "secret_object": Secret(NVAPI),
            "enum": Colour.RED,
            "when": when,
            "model": Model(name="x", key=OPENAI),
            "nan": float("nan"),
            "set": {AWS},
            "other": object,
        }
    )
    assert result["secret_object"] == REDACTED
    assert result["enum"] == "red"
    assert result["when"] == when.isoformat()
    assert result["model"] == {"name": "x", "key": REDACTED}
    assert result["nan"] == "nan"
    assert result["set"] == [REDACTED]
    assert result["other"] == str(object)
