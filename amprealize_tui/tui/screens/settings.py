"""Settings screen "LLM API Keys": the user's BYOK keys, masked, with add/delete/re-enable/verify.

The screen talks to `services.vault` and `services.verify_record` only. It subscribes to the
vault's change events, so a change made anywhere (this screen, a dialog, the resolver disabling
a key after repeated 401s) refreshes the table; the chat screen's model picker subscribes to the
same events on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Static

from amprealize_tui.core.credentials.records import KeyRecordView
from amprealize_tui.tui.screens.add_key import (
    VAULT_ERRORS,
    AddKeyScreen,
    DeleteKeyScreen,
    ReenableChoice,
    ReenableKeyScreen,
)
from amprealize_tui.tui.widgets.key_table import KeyTable, describe_record

if TYPE_CHECKING:
    from amprealize_tui.core.credentials.verification import VerifyOutcome
    from amprealize_tui.core.services import Services

EMPTY_TEXT = (
    "No personal API keys saved yet. Add your NVIDIA NIM key to unlock the free/open model plan "
    "in global chat."
)


class SettingsScreen(Screen[None]):
    """Opened with F2, the command palette, or `/settings` in the composer."""

    TITLE = "LLM API Keys"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_key", "Add key", id="settings.add_key"),
        Binding("d,delete", "delete_key", "Delete", key_display="d", id="settings.delete_key"),
        Binding("e", "reenable_key", "Re-enable", id="settings.reenable_key"),
        Binding("v", "verify_key", "Verify", id="settings.verify_key"),
        Binding("escape", "close", "Back", id="settings.close"),
    ]

    class KeysChanged(Message):
        """The vault changed (posted from the vault's callback, possibly on another thread)."""

    def __init__(self, services: Services) -> None:
        super().__init__(id="settings-screen")
        self._services = services
        self._unsubscribe: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="settings-body"):
            yield Static("LLM API Keys", id="settings-title")
            yield Static("", id="keyring-status", markup=False)
            yield Static(EMPTY_TEXT, id="keys-empty")
            yield KeyTable(id="key-table")
            with Horizontal(id="settings-buttons"):
                yield Button("Add key", variant="primary", id="settings-add")
                yield Button("Delete", variant="error", id="settings-delete")
                yield Button("Re-enable", id="settings-reenable")
                yield Button("Verify", id="settings-verify")
                yield Button("Back", id="settings-back")
            yield Static("", id="settings-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._reload()
        self._unsubscribe = self._services.vault.subscribe(
            lambda _change: self.post_message(self.KeysChanged())
        )
        self.query_one(KeyTable).focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -- state -------------------------------------------------------------------------------

    @property
    def selected(self) -> KeyRecordView | None:
        return self.query_one(KeyTable).selected_record

    def _keyring_kind(self) -> str:
        return str(self._services.vault.keyring_status.kind)

    def _show_keyring_status(self) -> None:
        """The vault's own sentence: where the data key lives, or why keys are not safe."""
        status = self._services.vault.keyring_status
        line = self.query_one("#keyring-status", Static)
        line.update(status.message)
        line.set_classes(f"keyring-{status.kind}")

    def _reload(self) -> None:
        self._show_keyring_status()
        try:
            records = self._services.vault.list_records()
        except VAULT_ERRORS as exc:
            self.query_one("#keys-empty", Static).display = False
            self.query_one(KeyTable).display = False
            self.set_status(f"Cannot read the saved keys: {exc}", severity="error")
            return
        table = self.query_one(KeyTable)
        table.show_records(records)
        table.display = bool(records)
        self.query_one("#keys-empty", Static).display = not records
        self._update_controls()

    def _update_controls(self) -> None:
        for action, button_id in (
            ("delete_key", "#settings-delete"),
            ("reenable_key", "#settings-reenable"),
            ("verify_key", "#settings-verify"),
        ):
            self.query_one(button_id, Button).disabled = not self.check_action(action, ())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Actions that need a (suitable) selected key are shown dimmed when they cannot run."""
        if action not in {"delete_key", "reenable_key", "verify_key"}:
            return True
        record = self.selected
        if record is None:
            return None
        if action == "reenable_key":
            return True if record.status != "active" else None
        if action == "verify_key":
            return True if record.status != "locked" else None
        return True

    def set_status(self, text: str, *, severity: str = "information") -> None:
        line = self.query_one("#settings-status", Static)
        line.update(text)
        line.set_classes(f"status-{severity}")

    # -- events ------------------------------------------------------------------------------

    @on(KeysChanged)
    def _keys_changed(self) -> None:
        self._reload()

    @on(DataTable.RowHighlighted, "#key-table")
    def _row_highlighted(self) -> None:
        self._update_controls()

    @on(Button.Pressed, "#settings-add")
    def _add_pressed(self) -> None:
        self.action_add_key()

    @on(Button.Pressed, "#settings-delete")
    def _delete_pressed(self) -> None:
        self.action_delete_key()

    @on(Button.Pressed, "#settings-reenable")
    def _reenable_pressed(self) -> None:
        self.action_reenable_key()

    @on(Button.Pressed, "#settings-verify")
    def _verify_pressed(self) -> None:
        self.action_verify_key()

    @on(Button.Pressed, "#settings-back")
    def _back_pressed(self) -> None:
        self.action_close()

    # -- actions -----------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_add_key(self) -> None:
        if self._keyring_kind() == "unavailable":
            message = "Cannot add a key: there is no OS keyring to protect it (see above)."
            self.set_status(message, severity="error")
            return
        providers = self._services.catalog.providers()
        dialog = AddKeyScreen(
            self._services.vault, providers, default_org_id=self._services.settings.org_id
        )
        self.app.push_screen(dialog, self._after_add)

    def _after_add(self, record: KeyRecordView | None) -> None:
        if record is None:
            return
        self.set_status(
            f"Saved {describe_record(record)}. Its models are now in the composer's picker.",
            severity="success",
        )
        table = self.query_one(KeyTable)
        if record.id in {r.id for r in self._services.vault.list_records()}:
            self._reload()
            table.move_cursor(row=table.get_row_index(record.id))

    def action_delete_key(self) -> None:
        record = self.selected
        if record is None:
            return
        self.app.push_screen(
            DeleteKeyScreen(record), lambda confirmed: self._after_delete(record, confirmed)
        )

    def _after_delete(self, record: KeyRecordView, confirmed: bool | None) -> None:
        if not confirmed:
            return
        try:
            self._services.vault.delete(record.id)
        except VAULT_ERRORS as exc:
            self.set_status(f"Could not delete {describe_record(record)}: {exc}", severity="error")
            return
        self.set_status(f"Deleted {describe_record(record)}.", severity="success")

    def action_reenable_key(self) -> None:
        record = self.selected
        if record is None or record.status == "active":
            return
        self.app.push_screen(
            ReenableKeyScreen(self._services.vault, record),
            lambda choice: self._after_reenable(record, choice),
        )

    def _after_reenable(self, record: KeyRecordView, choice: ReenableChoice | None) -> None:
        if choice == "replaced":
            self.set_status(
                f"Re-enabled {describe_record(record)} with a new key.", severity="success"
            )
        elif choice == "verify":
            self.verify(record)

    def action_verify_key(self) -> None:
        record = self.selected
        if record is not None and record.status != "locked":
            self.verify(record)

    @work(exclusive=True, group="verify-key")
    async def verify(self, record: KeyRecordView) -> None:
        """Check the stored key with a 1-token completion (re-enables it when valid)."""
        self.set_status(f"Verifying {describe_record(record)}…")
        try:
            outcome = await self._services.verify_record(record.id)
        except VAULT_ERRORS as exc:
            self.set_status(f"Could not verify {describe_record(record)}: {exc}", severity="error")
            return
        text, severity = describe_outcome(outcome)
        self.set_status(f"{describe_record(record)}: {text}", severity=severity)


# Verification statuses (core/providers/results.py VerifyStatus): label, default sentence, severity.
_OUTCOMES = {
    "valid": ("Valid", "The provider accepted the key.", "success"),
    "invalid": ("Invalid", "The provider rejected the key (401/403): replace it.", "error"),
    "model_not_served": (
        "Model not served",
        "The key works, but the model is not served to this account (404).",
        "warning",
    ),
    "inconclusive": (
        "Inconclusive",
        "The provider did not answer clearly (rate limit, outage or network); try later.",
        "warning",
    ),
}


def describe_outcome(outcome: VerifyOutcome) -> tuple[str, str]:
    """A status-line sentence and a severity for a verification outcome."""
    status = str(outcome.status)
    label, default, severity = _OUTCOMES.get(status, (status, "", "warning"))
    enabled = " The key is enabled again." if outcome.reenabled else ""
    return (f"{label}. {outcome.message or default}{enabled}", severity)
