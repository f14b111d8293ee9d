"""`amprealize-tui keys`: list, add, delete, enable and verify stored API keys.

A key is read from stdin when it is piped in, or from a hidden prompt; never from the command
line, where it would end up in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
from typing import Any

from amprealize_tui.cli import UsageError
from amprealize_tui.core.audit.log import AuditLog, open_audit
from amprealize_tui.core.config import Settings, ensure_home, load_settings
from amprealize_tui.core.conversations.store import ConversationStore, StoreError
from amprealize_tui.core.credentials.keyring_backend import KeyringKind, KeyringStatus
from amprealize_tui.core.credentials.records import KeyRecordView, RecordStatus
from amprealize_tui.core.credentials.types import CredentialScope
from amprealize_tui.core.credentials.validation import MAX_KEY_LENGTH
from amprealize_tui.core.credentials.vault import CredentialVault, open_vault
from amprealize_tui.core.credentials.vault_errors import VaultError
from amprealize_tui.core.credentials.verification import VerifyOutcome, verify_record
from amprealize_tui.core.providers.client import ProviderClient
from amprealize_tui.core.providers.models import ModelCatalog

PROG = "amprealize-tui keys"
SCOPES = ("user", "project", "org")


class Refusal(Exception):
    """The command cannot do what was asked; exit status 1 with this message."""


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "keys",
        help="manage stored API keys (BYOK)",
        description="Manage the API keys stored, encrypted, in the credential vault.",
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="every stored key (masked) and the keyring status")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    add = actions.add_parser(
        "add",
        help="store a key read from stdin or a hidden prompt",
        description="Store an API key. Pipe it on stdin or type it at the hidden prompt; it is "
        "never accepted on the command line.",
    )
    add.add_argument("provider", help="provider name, e.g. nvidia")
    add.add_argument("--scope", choices=SCOPES, default="user", help="who the key is for")
    add.add_argument("--scope-id", help="the project or org id (required for those scopes)")
    add.add_argument("--name", help="a label to tell keys apart")
    add.add_argument("stray", nargs="*", help=argparse.SUPPRESS)

    delete = actions.add_parser("delete", help="remove a stored key")
    delete.add_argument("id", help="the key's id (see `keys list`)")

    enable = actions.add_parser(
        "enable",
        help="re-enable a disabled or locked key with a new key (or --verify the stored one)",
    )
    enable.add_argument("id", help="the key's id (see `keys list`)")
    enable.add_argument(
        "--verify", action="store_true", help="re-check the stored key with the provider instead"
    )
    enable.add_argument("stray", nargs="*", help=argparse.SUPPRESS)

    verify = actions.add_parser("verify", help="check a stored key with its provider")
    verify.add_argument("id", help="the key's id (see `keys list`)")
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with contextlib.ExitStack() as stack:
        try:
            audit = None if args.keys_action == "list" else _open_audit(settings, stack)
            vault = open_vault(settings, audit=audit)
            return _ACTIONS[args.keys_action](args, settings, vault)
        except (VaultError, Refusal, StoreError, OSError) as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 1


def _open_audit(settings: Settings, stack: contextlib.ExitStack) -> AuditLog:
    """Changes made here are audited like the app's (credential_change records)."""
    ensure_home(settings)
    store = stack.enter_context(ConversationStore(settings.database_path))
    return stack.enter_context(open_audit(settings, store))


# -- actions -------------------------------------------------------------------------------------


def _list(args: argparse.Namespace, settings: Settings, vault: CredentialVault) -> int:
    records = vault.list_records()
    status = vault.keyring_status
    if args.json:
        print(
            json.dumps(
                {
                    "keyring": {
                        "backend": status.backend,
                        "kind": status.kind.value,
                        "message": status.message,
                    },
                    "keys": [record.to_json() for record in records],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(_status_line(status))
    if not records:
        print("No keys stored. Add one with: amprealize-tui keys add nvidia")
        return 0
    rows = [("ID", "PROVIDER", "SCOPE", "NAME", "KEY", "STATUS", "LAST USED")]
    rows += [_row(record) for record in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for record in records:
        if record.status is RecordStatus.LOCKED:
            print(f"{record.id} is locked: {record.locked_reason}")
    return 0


def _add(args: argparse.Namespace, settings: Settings, vault: CredentialVault) -> int:
    _refuse_stray(args)
    scope_id = _scope_id(args)
    providers = ModelCatalog.from_settings(settings).providers()
    if args.provider not in providers:
        raise UsageError(f"unknown provider {args.provider!r}: use one of {', '.join(providers)}.")
    _require_keyring(vault.keyring_status)
    before = {record.id for record in vault.list_records()}
    key = _read_key(f"API key for {args.provider} (input hidden): ")
    view = vault.save(args.provider, key, scope=args.scope, scope_id=scope_id, name=args.name)
    verb = "Replaced" if view.id in before else "Saved"
    print(f"{verb} {_describe(view)} as {view.id}.")
    return 0


def _delete(args: argparse.Namespace, settings: Settings, vault: CredentialVault) -> int:
    view = vault.get_record(args.id)
    vault.delete(args.id)
    print(f"Deleted {_describe(view)} ({view.id}).")
    return 0


def _enable(args: argparse.Namespace, settings: Settings, vault: CredentialVault) -> int:
    _refuse_stray(args)
    view = vault.get_record(args.id)
    if args.verify:
        return _verify_and_report(settings, vault, view)
    _require_keyring(vault.keyring_status)
    key = _read_key(f"New API key for {view.provider} (input hidden): ")
    enabled = vault.enable_with_new_key(view.id, key)
    print(f"Re-enabled {_describe(enabled)} ({enabled.id}) with a new key.")
    return 0


def _verify(args: argparse.Namespace, settings: Settings, vault: CredentialVault) -> int:
    return _verify_and_report(settings, vault, vault.get_record(args.id))


_ACTIONS = {"list": _list, "add": _add, "delete": _delete, "enable": _enable, "verify": _verify}


# -- helpers -------------------------------------------------------------------------------------


def _refuse_stray(args: argparse.Namespace) -> None:
    if args.stray:
        raise UsageError(
            "keys are never taken from the command line (they would be kept in your shell "
            "history); pipe the key on stdin or type it at the hidden prompt."
        )


def _scope_id(args: argparse.Namespace) -> str | None:
    if args.scope == CredentialScope.USER.value:
        if args.scope_id is not None:
            raise UsageError("--scope-id is only for --scope project or --scope org.")
        return None
    if not args.scope_id:
        raise UsageError(
            f"--scope {args.scope} needs --scope-id (which {args.scope} the key is for)."
        )
    return args.scope_id


def _require_keyring(status: KeyringStatus) -> None:
    if status.kind is KeyringKind.UNAVAILABLE:
        raise Refusal(status.message)
    if status.kind is KeyringKind.PLAINTEXT:
        print(status.message, file=sys.stderr)


def _read_key(prompt: str) -> str:
    if sys.stdin is None or sys.stdin.closed:
        raise Refusal("no key given: pipe it on stdin or run in a terminal to be prompted.")
    if sys.stdin.isatty():
        try:
            return getpass.getpass(prompt)
        except EOFError:
            raise Refusal("no key given at the prompt.") from None
    # Read a little past the limit so an over-long key is refused, not silently cut.
    return sys.stdin.read(MAX_KEY_LENGTH + 64)


def _verify_and_report(settings: Settings, vault: CredentialVault, view: KeyRecordView) -> int:
    if view.status is RecordStatus.LOCKED:
        raise Refusal(
            f"{view.id} cannot be verified because it is locked: {view.locked_reason}. Enter the "
            f"key again with: amprealize-tui keys enable {view.id}"
        )
    outcome = asyncio.run(_run_verification(settings, vault, view.id))
    print(f"{_describe(view)} ({view.id}): {outcome.status.value}. {outcome.message}")
    if outcome.reenabled:
        print(f"Re-enabled {view.id}.")
    elif outcome.record.status is RecordStatus.DISABLED:
        print(f"{view.id} stays disabled ({outcome.record.disabled_reason}).")
    return 0 if outcome.ok else 1


async def _run_verification(
    settings: Settings, vault: CredentialVault, record_id: str
) -> VerifyOutcome:
    client = ProviderClient(read_timeout=settings.reply_read_timeout)
    try:
        return await verify_record(vault, ModelCatalog.from_settings(settings), client, record_id)
    finally:
        await client.aclose()


def _describe(view: KeyRecordView) -> str:
    return f"{view.provider} key {view.masked} ({_scope_text(view)})"


def _scope_text(view: KeyRecordView) -> str:
    if view.scope is CredentialScope.USER:
        return "user scope"
    return f"{view.scope.value} {view.scope_id}"


def _status_line(status: KeyringStatus) -> str:
    return f"Keyring: {status.backend} ({status.kind.value}). {status.message}"


def _row(record: KeyRecordView) -> tuple[str, ...]:
    state = record.status.value
    if record.status is RecordStatus.DISABLED and record.disabled_reason:
        state = f"disabled ({record.disabled_reason})"
    last_used = (
        record.last_used_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if record.last_used_at
        else "never"
    )
    return (
        record.id,
        record.provider,
        _scope_text(record),
        record.name or "-",
        record.masked,
        state,
        last_used,
    )
