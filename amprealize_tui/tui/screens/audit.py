"""Audit screen: the newest audit records and the hash chain's verification, refreshed live.

Polling is cheap: once a second the log file's size and mtime are compared with the last read,
and only a change triggers a re-read (tail + verify), off the event loop in a thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

if TYPE_CHECKING:
    from amprealize_tui.core.audit.log import VerifyReport
    from amprealize_tui.core.services import Services

TAIL_SIZE = 200
POLL_SECONDS = 1.0
COLUMNS = ("Time", "Event", "Action", "Decision", "Route mode", "Fallback", "Model")
EMPTY_TEXT = "No audit records yet: routing decisions, approvals and key changes appear here."

# Metadata keys by column; the first present wins (route records use the chat_route_* names).
_METADATA_KEYS = {
    "Route mode": ("chat_route_mode", "route_mode"),
    "Fallback": ("chat_route_fallback_reason", "fallback_reason"),
    "Model": ("llm_model_id", "model_id"),
}

FileStamp = tuple[int, int]


def format_timestamp(value: object) -> str:
    """An ISO 8601 timestamp in local time to the second; anything else shown as it is."""
    if not isinstance(value, str):
        return "—" if value is None else str(value)
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def _metadata_value(metadata: Mapping[str, Any], column: str) -> str:
    for key in _METADATA_KEYS[column]:
        value = metadata.get(key)
        if value not in (None, ""):
            return str(value)
    return "—"


def record_cells(record: Mapping[str, Any]) -> tuple[Text, ...]:
    """One table row. Every value is literal Text: audit fields may hold user-influenced text."""
    metadata = record.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    fallback = _metadata_value(metadata, "Fallback")
    return (
        Text(format_timestamp(record.get("timestamp"))),
        Text(str(record.get("event_type") or "—")),
        Text(str(record.get("action") or "—")),
        Text(str(record.get("decision") or "—")),
        Text(_metadata_value(metadata, "Route mode")),
        Text(fallback, style="bold yellow" if fallback != "—" else ""),
        Text(_metadata_value(metadata, "Model")),
    )


def chain_status_text(report: VerifyReport) -> str:
    if report.ok:
        return f"Chain OK: {report.count} records"
    return f"Chain BROKEN at record {report.first_bad_line}: {report.problem}"


class AuditScreen(Screen[None]):
    """Opened with F3 or the command palette."""

    TITLE = "Audit log"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh_now", "Refresh", id="audit.refresh"),
        Binding("escape", "close", "Back", id="audit.close"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__(id="audit-screen")
        self._services = services
        self._stamp: FileStamp | None = None
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="audit-body"):
            yield Static("Audit log", id="audit-title")
            yield Static("Verifying the chain…", id="chain-status", markup=False)
            yield Static(EMPTY_TEXT, id="audit-empty")
            table: DataTable[Text] = DataTable(id="audit-table", cursor_type="row")
            table.add_columns(*COLUMNS)
            yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#audit-empty").display = False
        self._poll()
        self.set_interval(POLL_SECONDS, self._poll)
        self.query_one("#audit-table").focus()

    def _file_stamp(self) -> FileStamp | None:
        try:
            info = os.stat(self._services.settings.audit_path)
        except FileNotFoundError:
            return None
        return (info.st_size, info.st_mtime_ns)

    def _poll(self) -> None:
        stamp = self._file_stamp()
        if self._loaded and stamp == self._stamp:
            return
        self._stamp = stamp
        self._loaded = True
        self.refresh_records()

    def action_refresh_now(self) -> None:
        self._stamp = self._file_stamp()
        self.refresh_records()

    def action_close(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="audit-refresh")
    async def refresh_records(self) -> None:
        audit = self._services.audit
        status = self.query_one("#chain-status", Static)
        try:
            records, report = await asyncio.to_thread(
                lambda: (audit.tail(TAIL_SIZE), audit.verify())
            )
        except OSError as exc:
            status.update(f"Cannot read the audit log: {exc}. Check the file's permissions.")
            status.set_classes("chain-broken")
            return
        self._show(records, report)

    def _show(self, records: list[dict[str, Any]], report: VerifyReport) -> None:
        status = self.query_one("#chain-status", Static)
        status.update(chain_status_text(report))
        status.set_classes("chain-ok" if report.ok else "chain-broken")
        table: DataTable[Text] = self.query_one("#audit-table", DataTable)
        table.clear()
        for record in reversed(records):
            table.add_row(*record_cells(record))
        self.query_one("#audit-empty").display = not records
        table.display = bool(records)
