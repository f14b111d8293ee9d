"""Snapshots of the settings screen's states, its dialogs and the audit screen.

Fixed clock (2026-01-15 10:00 UTC, TZ=UTC from conftest), fake keys, solid cursors, 120x36.
"""

from __future__ import annotations

from typing import Any

from keyring.backends import fail
from textual.pilot import Pilot
from textual.widgets import Input, Select

from amprealize_tui.tui.screens.audit import AuditScreen
from amprealize_tui.tui.screens.settings import SettingsScreen
from tests.settings_helpers import (
    NVIDIA_KEY,
    ScreenHost,
    make_services,
    populate_audit,
    populate_keys,
    ticking_clock,
)
from tests.vault_helpers import PlaintextKeyring

SIZE = (120, 36)


def settings_app(keyring: Any = None, *, with_keys: bool = False) -> ScreenHost:
    services = make_services(keyring)
    if with_keys:
        populate_keys(services.vault, services.settings.user_id)
    return ScreenHost(services, SettingsScreen)


def test_settings_empty(snap_compare: Any) -> None:
    assert snap_compare(settings_app(), terminal_size=SIZE)


def test_settings_keys_of_each_status(snap_compare: Any) -> None:
    assert snap_compare(settings_app(with_keys=True), terminal_size=SIZE, press=["down"])


def test_settings_add_key_dialog(snap_compare: Any) -> None:
    assert snap_compare(settings_app(), terminal_size=SIZE, press=["a"])


async def _fill_project_key(pilot: Pilot[None]) -> None:
    await pilot.press("a")
    await pilot.pause()
    pilot.app.screen.query_one("#add-key-scope", Select).value = "project"
    pilot.app.screen.query_one("#add-key-scope-id", Input).value = "alpha"
    pilot.app.screen.query_one("#key-secret", Input).value = NVIDIA_KEY


def test_settings_add_key_dialog_filled(snap_compare: Any) -> None:
    assert snap_compare(settings_app(), terminal_size=SIZE, run_before=_fill_project_key)


def test_settings_delete_confirmation(snap_compare: Any) -> None:
    assert snap_compare(settings_app(with_keys=True), terminal_size=SIZE, press=["d"])


def test_settings_plaintext_keyring_warning(snap_compare: Any) -> None:
    assert snap_compare(settings_app(PlaintextKeyring()), terminal_size=SIZE)


def test_settings_keyring_unavailable(snap_compare: Any) -> None:
    assert snap_compare(settings_app(fail.Keyring()), terminal_size=SIZE, press=["a"])


def _audit_app(*, broken: bool) -> ScreenHost:
    services = make_services(clock=ticking_clock())
    populate_audit(services, broken=broken)
    return ScreenHost(services, AuditScreen)


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_audit_screen(snap_compare: Any) -> None:
    assert snap_compare(_audit_app(broken=False), terminal_size=SIZE, run_before=_settle)


def test_audit_screen_broken_chain(snap_compare: Any) -> None:
    assert snap_compare(_audit_app(broken=True), terminal_size=SIZE, run_before=_settle)
