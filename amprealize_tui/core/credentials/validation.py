"""Checks on what users hand the vault. Messages never echo a key, only its length."""

from __future__ import annotations

import re

from amprealize_tui.core.credentials.records import STORABLE_SCOPES
from amprealize_tui.core.credentials.types import CredentialScope
from amprealize_tui.core.credentials.vault_errors import InvalidKeyInput

MAX_KEY_LENGTH = 4096
MAX_NAME_LENGTH = 64
MAX_SCOPE_ID_LENGTH = 128
MAX_REASON_LENGTH = 200
_PROVIDER = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


def validate_key(key: str) -> str:
    """The key without surrounding whitespace (a pasted newline); refuses anything else odd."""
    if not isinstance(key, str):
        raise InvalidKeyInput("The API key must be text.")
    key = key.strip()
    if not key:
        raise InvalidKeyInput("The API key is empty: paste the key your provider gave you.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKeyInput(
            f"The API key is {len(key)} characters long, more than the {MAX_KEY_LENGTH} allowed: "
            "check that only the key was pasted."
        )
    if any(ch.isspace() for ch in key):
        raise InvalidKeyInput(
            "The API key has whitespace or a line break inside it: paste it as one line."
        )
    if not _PRINTABLE_ASCII.fullmatch(key):
        raise InvalidKeyInput(
            "The API key has characters other than printable ASCII: paste only the key."
        )
    return key


def validate_provider(provider: str) -> str:
    if not isinstance(provider, str) or not _PROVIDER.fullmatch(provider):
        shown = repr(provider)[:50]
        raise InvalidKeyInput(
            f"Provider {shown} is not a provider name: use lower-case letters, digits, '-' and "
            "'_' (for example nvidia)."
        )
    return provider


def _single_line(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if not value or len(value) > limit or not value.isprintable():
        raise InvalidKeyInput(f"The {what} must be one line of 1 to {limit} printable characters.")
    return value


def validate_name(name: str | None) -> str | None:
    return None if name is None else _single_line(name, "key name", MAX_NAME_LENGTH)


def validate_reason(reason: str) -> str:
    return _single_line(reason, "reason for disabling", MAX_REASON_LENGTH)


def validate_scope(
    scope: CredentialScope | str, scope_id: str | None, *, user_id: str
) -> tuple[CredentialScope, str]:
    """The scope and the id it is stored under (the user's own id for user scope)."""
    allowed = ", ".join(s.value for s in STORABLE_SCOPES)
    try:
        value = CredentialScope(scope)
    except ValueError:
        raise InvalidKeyInput(f"Unknown scope {str(scope)[:40]!r}: use one of {allowed}.") from None
    if value is CredentialScope.PLATFORM:
        raise InvalidKeyInput(
            "Platform keys come from the environment (e.g. NVIDIA_API_KEY) and are not stored "
            f"in the vault: use one of {allowed}."
        )
    if value is CredentialScope.USER:
        if scope_id not in (None, user_id):
            raise InvalidKeyInput(
                f"A user-scope key belongs to the local user ({user_id}): leave out the scope id."
            )
        return value, user_id
    if scope_id is None or not scope_id.strip():
        raise InvalidKeyInput(
            f"A {value.value}-scope key needs the {value.value} id it is for (--scope-id)."
        )
    scope_id = _single_line(scope_id, f"{value.value} id", MAX_SCOPE_ID_LENGTH)
    if any(ch.isspace() for ch in scope_id):
        raise InvalidKeyInput(f"The {value.value} id must not contain spaces.")
    return value, scope_id
