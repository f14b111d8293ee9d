"""Checking a stored key with its provider, for the CLI and the settings screen alike.

A valid answer re-enables the record (the second way back from a lock-out, besides a new key);
a 401/403 counts as an authentication failure; anything else leaves the record as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from amprealize_tui.core.credentials.records import KeyRecordView, RecordStatus
from amprealize_tui.core.credentials.vault import CredentialVault
from amprealize_tui.core.providers.client import ProviderClient
from amprealize_tui.core.providers.models import ModelCatalog, provider_label
from amprealize_tui.core.providers.results import VerifyResult, VerifyStatus


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    """The provider's verdict and the record as it stands afterwards."""

    result: VerifyResult
    record: KeyRecordView
    reenabled: bool

    @property
    def status(self) -> VerifyStatus:
        return self.result.status

    @property
    def message(self) -> str:
        return self.result.message

    @property
    def ok(self) -> bool:
        return self.result.ok


async def verify_record(
    vault: CredentialVault, catalog: ModelCatalog, client: ProviderClient, record_id: str
) -> VerifyOutcome:
    """Send the record's key in a 1-token completion to its provider's default model.

    Raises RecordNotFound, or RecordLocked (a key that cannot be decrypted cannot be checked).
    """
    credential = vault.unseal(record_id)
    was_disabled = vault.get_record(record_id).status is RecordStatus.DISABLED
    model = catalog.default_for(credential.provider)
    if model is None:
        result = VerifyResult(
            VerifyStatus.INCONCLUSIVE,
            f"No model of provider {provider_label(credential.provider)} is configured, so the "
            "key cannot be checked; add the endpoint to config.toml or delete the key.",
        )
    else:
        result = await client.verify_key(model, credential)
    if result.status is VerifyStatus.VALID:
        vault.mark_verified(record_id)
    elif result.status is VerifyStatus.INVALID:
        vault.report_auth_result(record_id, ok=False, secret=credential.secret)
    record = vault.get_record(record_id)
    reenabled = was_disabled and record.status is RecordStatus.ACTIVE
    return VerifyOutcome(result, record, reenabled)
