"""`amprealize-tui audit verify|tail|archive`: check the chain, show records, start anew."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from amprealize_tui.cli import UsageError
from amprealize_tui.core.audit.checkpoint import MemoryCheckpoint, MetaCheckpoint
from amprealize_tui.core.audit.log import AuditLog, open_audit
from amprealize_tui.core.config import Settings, ensure_home, load_settings
from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text
from amprealize_tui.core.conversations.store import ConversationStore, StoreError

DEFAULT_TAIL = 20

# Shown after the decision when present; the first metadata key found wins.
_ROUTE_FIELDS = (
    ("mode", ("chat_route_mode", "route_mode")),
    ("fallback", ("chat_route_fallback_reason", "fallback_reason")),
    ("model", ("llm_model_id", "model_id")),
)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "audit",
        help="verify the audit log's hash chain or show its newest records",
        description="Verify the tamper-evident audit log, or show its newest records.",
    )
    actions = parser.add_subparsers(
        dest="audit_command", metavar="{verify,tail,archive}", required=True
    )
    actions.add_parser(
        "verify",
        help="check every record's hash, the chain and the head checkpoint (exit 1 if broken)",
    )
    actions.add_parser(
        "archive",
        help="keep the current log aside under a dated name and start a new chain "
        "(the way out after verify reports damage)",
    )
    tail = actions.add_parser("tail", help="show the newest records, one line each")
    tail.add_argument(
        "-n",
        "--lines",
        type=int,
        default=DEFAULT_TAIL,
        metavar="N",
        help=f"how many records (default {DEFAULT_TAIL})",
    )
    tail.add_argument("--json", action="store_true", help="print each record as JSON")
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.audit_command == "verify":
        return _verify(settings)
    if args.audit_command == "archive":
        return _archive(settings)
    if args.lines < 1:
        raise UsageError(f"-n must be at least 1 (got {args.lines}).")
    return _tail(settings, args.lines, as_json=args.json)


def _verify(settings: Settings) -> int:
    if not settings.database_path.exists():
        # No database: nothing to open (and nothing to create). A log without its
        # checkpoint verifies its chain but fails for the missing head.
        return _report(AuditLog(settings.audit_path, checkpoint=MemoryCheckpoint()))
    try:
        store = ConversationStore(settings.database_path)
    except StoreError as exc:
        print(f"amprealize-tui audit: cannot read the audit checkpoint: {exc}", file=sys.stderr)
        return 1
    with store:
        return _report(AuditLog(settings.audit_path, checkpoint=MetaCheckpoint(store)))


def _archive(settings: Settings) -> int:
    ensure_home(settings)
    try:
        store = ConversationStore(settings.database_path)
    except StoreError as exc:
        print(f"amprealize-tui audit: cannot reset the audit checkpoint: {exc}", file=sys.stderr)
        return 1
    with store, open_audit(settings, store) as log:
        archived = log.archive()
    if archived is None:
        print("no audit log to archive; the checkpoint was reset")
    else:
        print(f"audit log kept as {archived}; the next record starts a new chain")
    return 0


def _report(log: AuditLog) -> int:
    report = log.verify()
    if report.ok:
        print(f"audit log OK: {report.count} record{'' if report.count == 1 else 's'}")
    else:
        print(f"audit log BROKEN: {report.problem}")
        print(f"{report.count} records verified before the problem; file: {log.path}")
    for note in report.notes:
        print(f"note: {note}")
    return 0 if report.ok else 1


def _tail(settings: Settings, n: int, *, as_json: bool) -> int:
    records = AuditLog(settings.audit_path).tail(n)
    if not records and not as_json:
        print("audit log is empty")
    for record in records:
        if as_json:
            print(json.dumps(record, ensure_ascii=False, sort_keys=True))
        else:
            print(sanitize_terminal_text(format_record(record)))
    return 0


def format_record(record: Mapping[str, Any]) -> str:
    """One readable line: time, event, action, decision, then route details if present."""
    metadata = record.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    parts = [
        _format_time(record.get("timestamp")),
        str(record.get("event_type") or "-"),
        str(record.get("action") or "-"),
        str(record.get("decision") or "-"),
    ]
    for label, keys in _ROUTE_FIELDS:
        value = next((metadata[k] for k in keys if metadata.get(k) not in (None, "")), None)
        if value is not None:
            parts.append(f"{label}={value}")
    return "  ".join(parts)


def _format_time(value: object) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.utcoffset() is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S%z")
