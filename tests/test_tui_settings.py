"""Settings screen (LLM API Keys) driven with the pilot against the real credential vault."""

from __future__ import annotations

import pytest
from keyring.backends import fail
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from amprealize_tui.core.credentials.records import CredentialChange, RecordStatus
from amprealize_tui.core.services import Services
from amprealize_tui.tui.screens.add_key import AddKeyScreen, DeleteKeyScreen, ReenableKeyScreen
from amprealize_tui.tui.screens.settings import EMPTY_TEXT, SettingsScreen
from amprealize_tui.tui.widgets.key_table import KeyTable
from tests.loopback_server import LoopbackServer, Reply
from tests.settings_helpers import (
    NVIDIA_KEY,
    NVIDIA_KEY_2,
    ScreenHost,
    make_services,
)
from tests.vault_helpers import MemoryKeyring, PlaintextKeyring

SIZE = (120, 36)


@pytest.fixture
def services() -> Services:
    return make_services()


def host(services: Services) -> ScreenHost:
    return ScreenHost(services, SettingsScreen)


def rendered(pilot: Pilot[None], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def table_rows(pilot: Pilot[None]) -> list[list[str]]:
    table = pilot.app.screen.query_one(KeyTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_add_dialog(pilot: Pilot[None]) -> AddKeyScreen:
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, AddKeyScreen)
    return pilot.app.screen


async def type_into(pilot: Pilot[None], selector: str, text: str) -> None:
    """Paste `text` into the Input, as users do with API keys (typing each key is slow)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.post_message(events.Paste(text))
    await pilot.pause()


async def test_empty_state_text(services: Services) -> None:
    async with host(services).run_test(size=SIZE) as pilot:
        empty = pilot.app.screen.query_one("#keys-empty", Static)
        assert empty.display and str(empty.render()) == EMPTY_TEXT
        assert not pilot.app.screen.query_one(KeyTable).display
        assert "encrypted" in rendered(pilot, "#keyring-status")


async def test_save_is_disabled_while_the_key_is_blank(services: Services) -> None:
    async with host(services).run_test(size=SIZE) as pilot:
        dialog = await open_add_dialog(pilot)
        save = dialog.query_one("#add-key-save", Button)
        secret = dialog.query_one("#key-secret", Input)
        assert save.disabled
        assert secret.password and secret.placeholder == "nvapi-..."
        await type_into(pilot, "#key-secret", "   ")
        assert save.disabled
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is dialog and services.vault.list_records() == []
        await type_into(pilot, "#key-secret", "x")
        assert not save.disabled
        await pilot.press("ctrl+u", "backspace", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert secret.value == "" and save.disabled


async def test_adding_a_key_saves_it_clears_the_input_and_publishes_a_change(
    services: Services,
) -> None:
    changes: list[CredentialChange] = []
    services.vault.subscribe(changes.append)
    async with host(services).run_test(size=SIZE) as pilot:
        dialog = await open_add_dialog(pilot)
        secret = dialog.query_one("#key-secret", Input)
        await type_into(pilot, "#add-key-name", "work")
        await type_into(pilot, "#key-secret", NVIDIA_KEY)
        await pilot.click("#add-key-save")
        await pilot.pause()
        assert secret.value == ""
        assert isinstance(pilot.app.screen, SettingsScreen)
        rows = table_rows(pilot)
        assert not pilot.app.screen.query_one("#keys-empty").display
        assert "Saved nvidia/user “work” (nvapi-TE••••)" in rendered(pilot, "#settings-status")
    assert len(rows) == 1
    assert rows[0][:5] == ["nvidia", "user", "work", "nvapi-TE••••", "Active"]
    assert rows[0][5] == "2026-01-15 10:00"
    assert [(c.operation, c.provider) for c in changes] == [("add", "nvidia")]
    [record] = services.vault.list_records()
    assert record.name == "work" and record.status is RecordStatus.ACTIVE


async def test_project_scope_needs_a_project_id(services: Services) -> None:
    async with host(services).run_test(size=SIZE) as pilot:
        dialog = await open_add_dialog(pilot)
        scope_row = dialog.query_one("#add-key-scope-id-row")
        assert not scope_row.display
        dialog.query_one("#add-key-scope", Select).value = "project"
        await pilot.pause()
        assert scope_row.display
        await type_into(pilot, "#key-secret", NVIDIA_KEY)
        assert dialog.query_one("#add-key-save", Button).disabled
        await type_into(pilot, "#add-key-scope-id", "alpha")
        assert not dialog.query_one("#add-key-save", Button).disabled
        await pilot.click("#add-key-save")
        await pilot.pause()
        assert table_rows(pilot)[0][1] == "project:alpha"
    [record] = services.vault.list_records()
    assert (record.scope, record.scope_id) == ("project", "alpha")


async def test_a_refused_key_is_explained_in_the_dialog(services: Services) -> None:
    async with host(services).run_test(size=SIZE) as pilot:
        dialog = await open_add_dialog(pilot)
        await type_into(pilot, "#key-secret", "nvapi-has a space-inside-000")
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is dialog
        error = dialog.query_one("#key-dialog-error", Static)
        assert error.display and str(error.render()).startswith("Not saved: ")
        assert "space" in str(error.render()).lower() or "whitespace" in str(error.render())
    assert services.vault.list_records() == []


async def test_cancel_adds_nothing(services: Services) -> None:
    async with host(services).run_test(size=SIZE) as pilot:
        await open_add_dialog(pilot)
        await type_into(pilot, "#key-secret", NVIDIA_KEY)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SettingsScreen)
    assert services.vault.list_records() == []


async def test_delete_asks_naming_the_key_then_deletes(services: Services) -> None:
    services.vault.save("nvidia", NVIDIA_KEY, name="work")
    async with host(services).run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DeleteKeyScreen)
        question = str(pilot.app.screen.query_one(".key-dialog-text", Static).render())
        assert "nvidia/user “work” (nvapi-TE••••)" in question
        await pilot.press("escape")
        await pilot.pause()
        assert len(services.vault.list_records()) == 1
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#delete-key-confirm")
        await pilot.pause()
        assert services.vault.list_records() == []
        assert pilot.app.screen.query_one("#keys-empty").display
        assert "Deleted nvidia/user" in rendered(pilot, "#settings-status")


async def test_reenable_a_disabled_key_with_a_new_key(services: Services) -> None:
    record = services.vault.save("nvidia", NVIDIA_KEY)
    services.vault.disable(record.id, "consecutive_failures")
    async with host(services).run_test(size=SIZE) as pilot:
        assert table_rows(pilot)[0][4] == "Disabled: 3 auth failures"
        await pilot.press("e")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ReenableKeyScreen)
        assert dialog.query_one("#reenable-save", Button).disabled
        assert not dialog.query_one("#reenable-verify", Button).disabled
        await type_into(pilot, "#key-secret", NVIDIA_KEY_2)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SettingsScreen)
        assert table_rows(pilot)[0][3:5] == ["nvapi-TE••••", "Active"]
        assert "Re-enabled" in rendered(pilot, "#settings-status")
    [after] = services.vault.list_records()
    assert after.status is RecordStatus.ACTIVE and after.id == record.id


async def test_reenable_is_not_offered_for_an_active_key(services: Services) -> None:
    services.vault.save("nvidia", NVIDIA_KEY)
    async with host(services).run_test(size=SIZE) as pilot:
        assert pilot.app.screen.query_one("#settings-reenable", Button).disabled
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SettingsScreen)


async def test_a_change_made_elsewhere_refreshes_the_table(services: Services) -> None:
    async with host(services).run_test(size=SIZE) as pilot:
        record = services.vault.save("nvidia", NVIDIA_KEY)
        await pilot.pause()
        assert table_rows(pilot)[0][4] == "Active"
        services.vault.disable(record.id, "consecutive_failures")
        await pilot.pause()
        assert table_rows(pilot)[0][4].startswith("Disabled")


async def test_unavailable_keyring_is_explained_and_add_says_why() -> None:
    services = make_services(fail.Keyring())
    async with host(services).run_test(size=SIZE) as pilot:
        status = pilot.app.screen.query_one("#keyring-status", Static)
        assert "No usable OS keyring" in str(status.render())
        assert status.has_class("keyring-unavailable")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(pilot.app.screen, SettingsScreen)
        assert rendered(pilot, "#settings-status").startswith("Cannot add a key: there is no OS")
        assert "install and unlock gnome-keyring" in str(status.render())
        assert "NVIDIA_API_KEY" in str(status.render())


async def test_plaintext_keyring_is_a_visible_warning() -> None:
    services = make_services(PlaintextKeyring())
    async with host(services).run_test(size=SIZE) as pilot:
        status = pilot.app.screen.query_one("#keyring-status", Static)
        assert status.has_class("keyring-plaintext")
        assert "NOT protected" in str(status.render())
        await open_add_dialog(pilot)


async def test_locked_key_can_only_be_replaced() -> None:
    keyring = MemoryKeyring()
    first = make_services(keyring)
    first.vault.save("nvidia", NVIDIA_KEY)
    await first.aclose()
    keyring.entries.clear()  # the data key is gone: the record can no longer be decrypted
    services = make_services(keyring)
    async with host(services).run_test(size=SIZE) as pilot:
        assert table_rows(pilot)[0][4] == "Locked: cannot decrypt"
        assert pilot.app.screen.query_one("#settings-verify", Button).disabled
        await pilot.press("e")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ReenableKeyScreen)
        assert dialog.query_one("#reenable-verify", Button).disabled
        assert "locked" in str(dialog.query(".key-dialog-text").last().render())


@pytest.fixture
def loopback_services(loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv("AMPREALIZE_NVIDIA_BASE_URL", loopback.base_url)
    return make_services()


async def verify_selected(pilot: Pilot[None]) -> str:
    await pilot.press("v")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return rendered(pilot, "#settings-status")


@pytest.mark.parametrize(
    ("reply", "expected", "severity"),
    [
        (Reply.completion("ok"), "Valid. ", "status-success"),
        (Reply.problem(401, "Authentication failed"), "Invalid. ", "status-error"),
        (
            Reply.problem(404, "Function not found for account"),
            "Model not served. ",
            "status-warning",
        ),
    ],
)
async def test_verify_against_the_provider(
    loopback_services: Services,
    loopback: LoopbackServer,
    reply: Reply,
    expected: str,
    severity: str,
) -> None:
    loopback_services.vault.save("nvidia", NVIDIA_KEY)
    loopback.enqueue(reply)
    async with host(loopback_services).run_test(size=SIZE) as pilot:
        status = await verify_selected(pilot)
        assert status.startswith(f"nvidia/user (nvapi-TE••••): {expected}")
        assert pilot.app.screen.query_one("#settings-status").has_class(severity)
        assert NVIDIA_KEY not in status
    request = loopback.last_request
    assert request.path.endswith("/chat/completions")
    assert request.headers["authorization"] == f"Bearer {NVIDIA_KEY}"
    assert request.json["max_tokens"] == 1


async def test_verifying_a_disabled_key_re_enables_it(
    loopback_services: Services, loopback: LoopbackServer
) -> None:
    record = loopback_services.vault.save("nvidia", NVIDIA_KEY)
    loopback_services.vault.disable(record.id, "consecutive_failures")
    loopback.enqueue(Reply.completion("ok"))
    async with host(loopback_services).run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.click("#reenable-verify")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "The key is enabled again." in rendered(pilot, "#settings-status")
        assert table_rows(pilot)[0][4] == "Active"
    assert loopback_services.vault.list_records()[0].status is RecordStatus.ACTIVE


async def test_a_corrupt_vault_file_is_reported_not_a_crash(services: Services) -> None:
    services.vault.save("nvidia", NVIDIA_KEY)
    services.vault.path.write_text("{ this is not json")
    async with host(services).run_test(size=SIZE) as pilot:
        message = rendered(pilot, "#settings-status")
        assert message.startswith("Cannot read the saved keys: ")
        assert str(services.vault.path) in message
        assert not pilot.app.screen.query_one(KeyTable).display
        assert not pilot.app.screen.query_one("#keys-empty").display
    assert services.vault.path.read_text() == "{ this is not json"
