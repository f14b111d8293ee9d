"""The settings screen's table of saved API keys: masked, with every status shown.

Cells are Rich `Text`, never markup strings: a key's name is user text and must show literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from amprealize_tui.core.credentials.records import KeyRecordView
from amprealize_tui.core.credentials.vault import AUTH_FAILURE_LIMIT, CONSECUTIVE_FAILURES

COLUMNS = ("Provider", "Scope", "Name", "Key", "Status", "Added", "Last used")

_STATUS_STYLES = {"active": "bold green", "disabled": "bold yellow", "locked": "bold red"}


def format_time(value: datetime | None) -> str:
    """Local time to the minute, or an em dash for never."""
    if value is None:
        return "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def scope_label(record: KeyRecordView) -> str:
    """Just "user" for personal keys (their scope id is the user), else e.g. "project:alpha"."""
    scope = str(record.scope)
    return scope if scope == "user" else f"{scope}:{record.scope_id}"


def status_label(record: KeyRecordView) -> str:
    """Active, Disabled (with its reason in words), or Locked (cannot be decrypted)."""
    status = str(record.status)
    if status == "disabled" and record.disabled_reason == CONSECUTIVE_FAILURES:
        return f"Disabled: {AUTH_FAILURE_LIMIT} auth failures"
    if status == "disabled" and record.disabled_reason:
        return f"Disabled: {record.disabled_reason.replace('_', ' ')}"
    if status == "locked":
        return "Locked: cannot decrypt"
    return status.capitalize()


def describe_record(record: KeyRecordView) -> str:
    """How dialogs name a key: provider/scope/name and its masked prefix."""
    name = f" “{record.name}”" if record.name else ""
    return f"{record.provider}/{scope_label(record)}{name} ({record.masked})"


class KeyTable(DataTable[Text]):
    """One row per vault record, keyed by record id; the cursor selects whole rows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._records: dict[str, KeyRecordView] = {}

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def show_records(self, records: Sequence[KeyRecordView]) -> None:
        """Replace the rows, keeping the cursor on the same record when it still exists."""
        previous = self.selected_record
        self.clear()
        self._records = {record.id: record for record in records}
        for record in records:
            self.add_row(*_cells(record), key=record.id)
        if previous is not None and previous.id in self._records:
            self.move_cursor(row=self.get_row_index(previous.id))

    @property
    def selected_record(self) -> KeyRecordView | None:
        if not self._records or self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return self._records.get(str(row_key.value))


def _cells(record: KeyRecordView) -> tuple[Text, ...]:
    status = str(record.status)
    return (
        Text(record.provider),
        Text(scope_label(record)),
        Text(record.name or "—"),
        Text(record.masked),
        Text(status_label(record), style=_STATUS_STYLES.get(status, "")),
        Text(format_time(record.created_at)),
        Text(format_time(record.last_used_at)),
    )
