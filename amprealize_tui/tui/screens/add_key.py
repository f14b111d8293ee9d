"""Key dialogs of the settings screen: add a key, re-enable a key, confirm a deletion.

A typed key lives only in a password Input until the vault has it; the Input is cleared as soon
as the key is handed over, so no widget keeps it afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from amprealize_tui.core.credentials.records import KeyRecordView
from amprealize_tui.core.credentials.vault import CredentialVault
from amprealize_tui.core.credentials.vault_errors import VaultError
from amprealize_tui.core.providers.models import provider_label
from amprealize_tui.tui.widgets.key_table import describe_record

DEFAULT_PROVIDER = "nvidia"
KEY_PLACEHOLDERS = {"nvidia": "nvapi-...", "openai": "sk-...", "anthropic": "sk-ant-..."}
SCOPE_OPTIONS = (("Personal (user)", "user"), ("Project", "project"), ("Organisation", "org"))

ReenableChoice = Literal["replaced", "verify"]

# What a refused vault operation raises: its own errors (bad input, keyring) or the disk's.
VAULT_ERRORS: tuple[type[Exception], ...] = (VaultError, OSError)


def key_placeholder(provider: str) -> str:
    return KEY_PLACEHOLDERS.get(provider, "API key")


ResultT = TypeVar("ResultT")


class _KeyDialog(ModalScreen[ResultT]):
    """Shared parts: the password Input, an inline error line, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="key_dialog.cancel")
    ]

    def key_input(self, provider: str) -> Input:
        return Input(
            placeholder=key_placeholder(provider),
            password=True,
            id="key-secret",
            classes="key-dialog-secret",
        )

    def take_key(self) -> str:
        """The typed key, stripped; the Input is cleared so the widget no longer holds it."""
        field = self.query_one("#key-secret", Input)
        key = field.value.strip()
        field.clear()
        return key

    def on_mount(self) -> None:
        # The app turns blinking off for tests and snapshots (AmprealizeApp.cursor_blink).
        blink = getattr(self.app, "cursor_blink", True)
        for field in self.query(Input):
            field.cursor_blink = blink
        self.query_one("#key-secret", Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#key-dialog-error", Static)
        error.update(message)
        error.display = bool(message)

    def error_line(self) -> Static:
        line = Static("", id="key-dialog-error", classes="key-dialog-error", markup=False)
        line.display = False
        return line

    def action_cancel(self) -> None:
        self.query_one("#key-secret", Input).clear()
        self.dismiss(None)


class AddKeyScreen(_KeyDialog[KeyRecordView | None]):
    """Add (or replace) a key. Dismisses with the saved record, or None when cancelled."""

    def __init__(
        self, vault: CredentialVault, providers: Sequence[str], *, default_org_id: str | None = None
    ) -> None:
        super().__init__(id="add-key-screen", classes="key-dialog-screen")
        self._vault = vault
        ordered = [DEFAULT_PROVIDER, *sorted(set(providers) - {DEFAULT_PROVIDER})]
        self._providers = ordered
        self._default_org_id = default_org_id

    def compose(self) -> ComposeResult:
        with Vertical(id="add-key-dialog", classes="key-dialog"):
            yield Label("Add an API key", classes="key-dialog-title")
            yield Label("Provider", classes="key-dialog-label")
            yield Select(
                [(provider_label(p), p) for p in self._providers],
                value=DEFAULT_PROVIDER,
                allow_blank=False,
                id="add-key-provider",
            )
            yield Label("Scope", classes="key-dialog-label")
            yield Select(SCOPE_OPTIONS, value="user", allow_blank=False, id="add-key-scope")
            with Vertical(id="add-key-scope-id-row", classes="key-dialog-row"):
                yield Label("Project id", id="add-key-scope-id-label", classes="key-dialog-label")
                yield Input(placeholder="e.g. alpha", id="add-key-scope-id")
            yield Label("Name (optional)", classes="key-dialog-label")
            yield Input(placeholder="e.g. work laptop", id="add-key-name", max_length=80)
            yield Label("API key (hidden; stored encrypted)", classes="key-dialog-label")
            yield self.key_input(DEFAULT_PROVIDER)
            yield self.error_line()
            with Horizontal(classes="key-dialog-buttons"):
                yield Button("Save", variant="primary", id="add-key-save", disabled=True)
                yield Button("Cancel", id="add-key-cancel")

    @on(Select.Changed, "#add-key-provider")
    def _provider_changed(self, event: Select.Changed) -> None:
        self.query_one("#key-secret", Input).placeholder = key_placeholder(str(event.value))

    @on(Select.Changed, "#add-key-scope")
    def _scope_changed(self, event: Select.Changed) -> None:
        self.query_one("#add-key-scope-id-row").display = event.value != "user"
        label = "Organisation id" if event.value == "org" else "Project id"
        self.query_one("#add-key-scope-id-label", Label).update(label)
        scope_id = self.query_one("#add-key-scope-id", Input)
        if event.value == "org" and not scope_id.value and self._default_org_id:
            scope_id.value = self._default_org_id
        self._update_save()

    @on(Input.Changed)
    def _input_changed(self) -> None:
        self._update_save()

    def _scope(self) -> str:
        return str(self.query_one("#add-key-scope", Select).value)

    def _ready(self) -> bool:
        has_key = bool(self.query_one("#key-secret", Input).value.strip())
        scope_id = self.query_one("#add-key-scope-id", Input).value.strip()
        return has_key and (self._scope() == "user" or bool(scope_id))

    def _update_save(self) -> None:
        self.query_one("#add-key-save", Button).disabled = not self._ready()

    @on(Input.Submitted, "#key-secret")
    @on(Button.Pressed, "#add-key-save")
    def _save(self) -> None:
        if not self._ready():
            return
        scope = self._scope()
        scope_id = self.query_one("#add-key-scope-id", Input).value.strip() or None
        name = self.query_one("#add-key-name", Input).value.strip() or None
        provider = str(self.query_one("#add-key-provider", Select).value)
        try:
            record = self._vault.save(
                provider,
                self.take_key(),
                scope=scope,
                scope_id=scope_id if scope != "user" else None,
                name=name,
            )
        except VAULT_ERRORS as exc:
            self._update_save()
            self.show_error(f"Not saved: {exc}")
            return
        self.dismiss(record)

    @on(Button.Pressed, "#add-key-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


class ReenableKeyScreen(_KeyDialog[ReenableChoice | None]):
    """Re-enable a disabled or locked key: with a new key, or by verifying the stored one.

    Dismisses with "replaced" after saving a new key, "verify" when the caller should verify the
    stored key (it is re-enabled only if that succeeds), or None when cancelled. A locked key
    cannot be decrypted, so only a new key can re-enable it.
    """

    def __init__(self, vault: CredentialVault, record: KeyRecordView) -> None:
        super().__init__(id="reenable-key-screen", classes="key-dialog-screen")
        self._vault = vault
        self._record = record

    def compose(self) -> ComposeResult:
        locked = self._record.status == "locked"
        with Vertical(id="reenable-key-dialog", classes="key-dialog"):
            yield Label("Re-enable an API key", classes="key-dialog-title")
            yield Static(describe_record(self._record), classes="key-dialog-text", markup=False)
            hint = (
                f"This key is locked: {self._record.locked_reason}. Enter a new key."
                if locked
                else "Enter a new key, or verify the stored one with the provider."
            )
            yield Static(hint, classes="key-dialog-text", markup=False)
            yield self.key_input(self._record.provider)
            yield self.error_line()
            with Horizontal(classes="key-dialog-buttons"):
                yield Button("Save new key", variant="primary", id="reenable-save", disabled=True)
                yield Button("Verify stored key", id="reenable-verify", disabled=locked)
                yield Button("Cancel", id="reenable-cancel")

    @on(Input.Changed, "#key-secret")
    def _key_changed(self, event: Input.Changed) -> None:
        self.query_one("#reenable-save", Button).disabled = not event.value.strip()

    @on(Input.Submitted, "#key-secret")
    @on(Button.Pressed, "#reenable-save")
    def _save(self) -> None:
        if not self.query_one("#key-secret", Input).value.strip():
            return
        try:
            self._vault.enable_with_new_key(self._record.id, self.take_key())
        except VAULT_ERRORS as exc:
            self.show_error(f"Not saved: {exc}")
            return
        self.dismiss("replaced")

    @on(Button.Pressed, "#reenable-verify")
    def _verify(self) -> None:
        self.query_one("#key-secret", Input).clear()
        self.dismiss("verify")

    @on(Button.Pressed, "#reenable-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


class DeleteKeyScreen(ModalScreen[bool]):
    """Confirm deleting a key, naming it by provider/scope/name and masked prefix."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="delete_key.cancel")
    ]

    def __init__(self, record: KeyRecordView) -> None:
        super().__init__(id="delete-key-screen", classes="key-dialog-screen")
        self._record = record

    def compose(self) -> ComposeResult:
        with Vertical(id="delete-key-dialog", classes="key-dialog"):
            yield Label("Delete API key?", classes="key-dialog-title")
            yield Static(
                f"Delete {describe_record(self._record)}? Models that use it will stop being "
                "available. This cannot be undone.",
                classes="key-dialog-text",
                markup=False,
            )
            with Horizontal(classes="key-dialog-buttons"):
                yield Button("Delete", variant="error", id="delete-key-confirm")
                yield Button("Cancel", id="delete-key-cancel")

    def on_mount(self) -> None:
        self.query_one("#delete-key-cancel", Button).focus()

    @on(Button.Pressed, "#delete-key-confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#delete-key-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
