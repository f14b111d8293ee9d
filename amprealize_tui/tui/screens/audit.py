"""Audit screen: the newest audit records and the hash chain's verification, refreshed live.

Polling is cheap: once a second the log file's size and mtime are compared with the last read,
and only a change triggers a re-read (tail + verify), off the event loop in a thread.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Mapping
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

FileStamp = tuple[int, int]
_RECORD_PREFIX = re.compile(r"^record \d+(?: \(line \d+\))?: ")


def format_timestamp(value: object) -> str:
    """An ISO 8601 timestamp as local "MM-DD HH:MM:SS" (the table is the recent tail; the year
    would cost a column's width); anything else is shown as it is."""
    if not isinstance(value, str):
        return _text(value)
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%m-%d %H:%M:%S")
    except ValueError:
        return value


def _text(value: object) -> str:
    return "—" if value in (None, "") else str(value)


def event_label(value: object) -> str:
    """The event type's first word ("policy" for policy_decision): the columns must fit 120
    cells; `amprealize-tui audit tail` prints the full names."""
    return _text(value).split("_", 1)[0]


def route_mode_text(metadata: Mapping[str, Any]) -> str:
    """The router that answered, with the requested mode when it differs: "llm (hybrid)"."""
    mode, requested = metadata.get("route_mode"), metadata.get("requested_mode")
    if mode and requested and requested != mode:
        return f"{mode} ({requested})"
    return _text(mode)


def record_cells(
    record: Mapping[str, Any], model_name: Callable[[str], str] = str
) -> tuple[Text, ...]:
    """One table row. Every value is literal Text: audit fields may hold user-influenced text."""
    metadata = record.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    fallback = _text(metadata.get("fallback_reason"))
    model = metadata.get("llm_model_id")
    return (
        Text(format_timestamp(record.get("timestamp"))),
        Text(event_label(record.get("event_type"))),
        Text(_text(record.get("action"))),
        Text(_text(record.get("decision"))),
        Text(route_mode_text(metadata)),
        Text(fallback, style="bold yellow" if fallback != "—" else ""),
        Text(_text(model and model_name(model))),
    )


def chain_status_text(report: VerifyReport) -> str:
    """Either "Chain OK: N records" (plus any notes) or "Chain BROKEN at record K: problem"."""
    if report.ok:
        notes = "".join(f" · Note: {note}" for note in report.notes)
        noun = "record" if report.count == 1 else "records"
        return f"Chain OK: {report.count} {noun}{notes}"
    if report.first_bad_line is None:
        return f"Chain BROKEN: {report.problem}"
    # The log's problem text starts with its own "record K (line K): "; say the record once.
    problem = _RECORD_PREFIX.sub("", report.problem, count=1)
    return f"Chain BROKEN at record {report.first_bad_line}: {problem}"


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

    def _model_name(self, model_id: str) -> str:
        model = self._services.catalog.get(model_id)
        return model.display_name if model is not None else model_id

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
            table.add_row(*record_cells(record, self._model_name))
        self.query_one("#audit-empty").display = not records
        table.display = bool(records)
