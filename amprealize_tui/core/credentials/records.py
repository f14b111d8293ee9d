"""Vault records: the stored form (JSON, ciphertext only), the view shown to users, and the
change event the model picker listens to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from amprealize_tui.core.credentials.types import CredentialScope

VAULT_FORMAT = 1
RECORD_ID_PATTERN = r"^k_[0-9a-f]{12}$"
STORABLE_SCOPES = (CredentialScope.USER, CredentialScope.PROJECT, CredentialScope.ORG)


def associated_data(record_id: str, scope: str, scope_id: str, provider: str) -> bytes:
    """What a record's ciphertext is bound to: moved to another record, it no longer decrypts."""
    return json.dumps(
        ["amprealize-tui/vault", VAULT_FORMAT, record_id, scope, scope_id, provider]
    ).encode("utf-8")


class RecordStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    LOCKED = "locked"


class ChangeOperation(StrEnum):
    ADD = "add"
    REPLACE = "replace"
    DELETE = "delete"
    DISABLE = "disable"
    ENABLE = "enable"


class StoredRecord(BaseModel):
    """One API key as kept in the vault file. `key_prefix` is the display mask, never more."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(pattern=RECORD_ID_PATTERN)
    scope: Literal["user", "project", "org"]
    scope_id: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    name: str | None = None
    key_prefix: str
    key_id: str = Field(min_length=1)
    ciphertext: str = Field(min_length=1, repr=False)
    created_at: AwareDatetime
    last_used_at: AwareDatetime | None = None
    failure_count: int = Field(default=0, ge=0)
    enabled: bool = True
    disabled_reason: str | None = None

    def associated_data(self) -> bytes:
        return associated_data(self.id, self.scope, self.scope_id, self.provider)

    def matches(self, provider: str, scope: CredentialScope, scope_id: str) -> bool:
        return (self.provider, self.scope, self.scope_id) == (provider, scope.value, scope_id)


class VaultDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = VAULT_FORMAT
    vault_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    records: list[StoredRecord] = Field(default_factory=list)

    def find(self, record_id: str) -> StoredRecord | None:
        return next((r for r in self.records if r.id == record_id), None)

    def find_scoped(
        self, provider: str, scope: CredentialScope, scope_id: str
    ) -> StoredRecord | None:
        return next((r for r in self.records if r.matches(provider, scope, scope_id)), None)


@dataclass(frozen=True, slots=True)
class KeyRecordView:
    """A record as shown to users: the mask and state, never the key or its ciphertext."""

    id: str
    scope: CredentialScope
    scope_id: str
    provider: str
    name: str | None
    masked: str
    status: RecordStatus
    disabled_reason: str | None
    created_at: datetime
    last_used_at: datetime | None
    failure_count: int
    locked_reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "scope": self.scope.value,
            "scope_id": self.scope_id,
            "provider": self.provider,
            "name": self.name,
            "masked": self.masked,
            "status": self.status.value,
            "disabled_reason": self.disabled_reason,
            "locked_reason": self.locked_reason,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "failure_count": self.failure_count,
        }


@dataclass(frozen=True, slots=True)
class CredentialChange:
    """Published once per add, replace, delete, disable and re-enable."""

    operation: ChangeOperation
    record_id: str
    provider: str
    scope: CredentialScope
    scope_id: str
    masked: str
