"""Project conversations from the UI, and the start-up path that paints before services open."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from amprealize_tui.core.conversations.models import MessageStatus
from amprealize_tui.core.routing.contract import ConversationScope
from amprealize_tui.core.services import Services
from amprealize_tui.tui.app import AmprealizeApp
from amprealize_tui.tui.screens.chat import ChatScreen
from amprealize_tui.tui.screens.project_chat import ProjectChatScreen, project_id_problem
from amprealize_tui.tui.widgets.conversation_list import list_label
from amprealize_tui.tui.widgets.messages import AssistantMessageView
from amprealize_tui.tui.widgets.notices import ApprovalCard, DenialNotice
from tests.settings_helpers import NVIDIA_KEY, NVIDIA_KEY_2
from tests.tui_harness import (
    FAKE_NVIDIA_KEY,
    ScriptedProvider,
    chat,
    harness_app,
    harness_services,
    pinned_latency,
)

SIZE = (120, 40)
EXECUTE = "execute the plan for WI-7"


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def status_text(app: AmprealizeApp) -> str:
    return str(chat(app).composer.query_one("#composer-status", Static).render())


async def open_project_chat(pilot: Pilot[None], project_id: str) -> None:
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ProjectChatScreen)
    await pilot.press(*project_id, "enter")
    await settle(pilot)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Type a project id"),
        ("atlas two", "whitespace"),
        ("atlas\t", "whitespace"),
        ("a" * 129, "at most 128 characters (this one has 129)"),
    ],
)
def test_bad_project_ids_say_what_is_wrong(text: str, problem: str) -> None:
    message = project_id_problem(text)
    assert message is not None and problem in message


@pytest.mark.parametrize("text", ["atlas", "a" * 128, "team/atlas-2"])
def test_good_project_ids_pass(text: str) -> None:
    assert project_id_problem(text) is None


async def test_project_chat_turns_a_denial_into_an_approval(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        # In personal chat the action is denied, and the composer names the key to fix that.
        screen.composer.prompt.insert(EXECUTE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(screen.pane.views[-1], DenialNotice)
        assert "press ctrl+o to start a project chat" in status_text(app)

        await open_project_chat(pilot, "atlas")
        conversation = screen.conversation
        assert conversation is not None
        assert conversation.scope is ConversationScope.PROJECT_SPACE
        assert conversation.project_id == "atlas"
        assert screen.sub_title.startswith("Project atlas · alice")
        assert screen.sidebar.highlighted_option is not None
        assert str(screen.sidebar.highlighted_option.prompt) == "atlas · New conversation"
        assert app.focused is screen.composer.prompt

        screen.composer.prompt.insert(EXECUTE)
        await pilot.press("enter")
        await settle(pilot)
        card = screen.pane.views[-1]
        assert isinstance(card, ApprovalCard) and card.pending
        assert provider.reply_requests == []
        await pilot.press("ctrl+up", "a")
        await settle(pilot)
        assert card.message.status is MessageStatus.APPROVED
        reply = screen.pane.views[-1]
        assert isinstance(reply, AssistantMessageView)
        assert reply.message.status is MessageStatus.COMPLETE
        assert reply.message.content == f"Echo: {EXECUTE}"
        assert len(provider.reply_requests) == 1


async def test_the_dialog_rejects_a_bad_id_inline_and_escape_cancels(
    isolated_home: Path,
) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        before = chat(app).services.store.list_conversations()
        await pilot.press("ctrl+o")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ProjectChatScreen)
        await pilot.press(*"atlas two", "enter")
        await pilot.pause()
        error = dialog.query_one("#prompt-error", Static)
        assert error.display and "whitespace" in str(error.render())
        assert dialog.query_one("#prompt-input", Input).value == "atlas two"  # input kept
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)
        assert chat(app).services.store.list_conversations() == before


async def test_palette_lists_new_project_chat(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"project chat")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProjectChatScreen)


async def test_the_picker_counts_the_conversations_project_keys(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider, with_key=False)
    services = app.services
    assert services is not None
    services.vault.save("nvidia", NVIDIA_KEY_2, scope="project", scope_id="atlas")
    async with app.run_test(size=SIZE) as pilot:
        picker = chat(app).composer.model_picker
        assert picker.disabled  # personal chat: no user, org or platform key
        await open_project_chat(pilot, "atlas")
        assert not picker.disabled
        assert "BYOK project" in str(picker.query_one("SelectCurrent #label", Static).render())
        chat(app).composer.prompt.insert("what is a b-tree?")
        await pilot.press("enter")
        await settle(pilot)
        assert provider.authorizations == [f"Bearer {NVIDIA_KEY_2}"]


def test_conversation_list_marks_project_conversations(isolated_home: Path) -> None:
    services = harness_services(isolated_home, ScriptedProvider())
    try:
        personal = services.store.create_conversation(title="notes")
        project = services.store.create_conversation(
            title="kickoff", scope=ConversationScope.PROJECT_SPACE, project_id="atlas"
        )
        assert list_label(personal).plain == "notes"
        assert list_label(project).plain == "atlas · kickoff"
    finally:
        asyncio.run(services.aclose())


# -- start-up: the chat paints before the services open -------------------------------------


class GatedOpener:
    """Opens the harness services only when the test releases the gate (from the app's start-up
    thread), so the test can act while the chat is painted but not yet live."""

    def __init__(self, home: Path, provider: ScriptedProvider) -> None:
        self.home = home
        self.provider = provider
        self.gate = threading.Event()
        self.started = threading.Event()
        self.opened: list[Services] = []

    def __call__(self) -> Services:
        self.started.set()
        if not self.gate.wait(timeout=10):
            raise TimeoutError("the test never released the start-up gate")
        services = harness_services(self.home, self.provider)
        self.opened.append(services)
        return services


async def test_text_sent_while_starting_is_kept_then_sent(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    opener = GatedOpener(isolated_home, provider)
    app = AmprealizeApp(open_services=opener, latency_format=pinned_latency, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await pilot.press(*"hello")
        assert screen.composer.prompt.text == "hello"  # typing works before services exist
        assert not screen.attached and not app.startup_done.is_set()
        assert screen.composer.model_picker.disabled
        await pilot.press("enter")
        await pilot.pause()
        assert screen.composer.prompt.text == "hello"
        assert "Starting…" in status_text(app)
        await pilot.press(*" there")  # still editable; what is in the prompt when ready is sent
        assert await asyncio.to_thread(opener.started.wait, 5)
        opener.gate.set()
        await asyncio.wait_for(app.startup_done.wait(), 10)
        await settle(pilot)
        assert screen.attached and app.startup_error is None
        reply = screen.pane.views[-1]
        assert isinstance(reply, AssistantMessageView)
        assert reply.message.content == "Echo: hello there"
        assert screen.composer.prompt.text == ""
        assert provider.authorizations == [f"Bearer {FAKE_NVIDIA_KEY}"]


async def test_chat_actions_wait_for_the_services(isolated_home: Path) -> None:
    opener = GatedOpener(isolated_home, ScriptedProvider())
    app = AmprealizeApp(open_services=opener, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.check_action("new_project_chat", ()) is False
        assert app.check_action("open_settings", ()) is False
        await pilot.press("ctrl+o", "f2")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)  # nothing opened over the starting chat
        opener.gate.set()
        await asyncio.wait_for(app.startup_done.wait(), 10)
        assert app.check_action("new_project_chat", ()) is True


async def test_an_app_closed_while_starting_closes_the_services_it_opened(
    isolated_home: Path,
) -> None:
    opener = GatedOpener(isolated_home, ScriptedProvider())
    app = AmprealizeApp(open_services=opener, cursor_blink=False)
    async with app.run_test(size=SIZE):
        assert await asyncio.to_thread(opener.started.wait, 5)
    # The app is gone; the thread finishes opening now and must close what it opened itself.
    opener.gate.set()
    for _ in range(250):
        if opener.opened and _closed(opener.opened[0]):
            break
        await asyncio.sleep(0.02)
    assert opener.opened, "the opener never finished"
    assert _closed(opener.opened[0])
    assert app.services is None


def _closed(services: Services) -> bool:
    try:
        services.store.list_conversations()
    except sqlite3.ProgrammingError:
        return True
    return False


async def test_the_palette_switches_which_key_pays_and_the_picker_and_request_follow(
    isolated_home: Path,
) -> None:
    """A project chat with both a project key and your own: the project's pays by default;
    "mine first" makes your key pay, shown in the picker and sent in the Authorization header."""
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider, with_key=False)
    services = app.services
    assert services is not None
    services.vault.save("nvidia", NVIDIA_KEY, scope="user")
    services.vault.save("nvidia", NVIDIA_KEY_2, scope="project", scope_id="atlas")
    async with app.run_test(size=SIZE) as pilot:
        await open_project_chat(pilot, "atlas")
        picker = chat(app).composer.model_picker
        label = picker.query_one("SelectCurrent #label", Static)
        assert "BYOK project" in str(label.render())
        await pilot.press("ctrl+p", *"which key pays")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert chat(app).prefer_user_key
        assert "BYOK user" in str(label.render())
        chat(app).composer.prompt.insert("what is a b-tree?")
        await pilot.press("enter")
        await settle(pilot)
        assert provider.authorizations == [f"Bearer {NVIDIA_KEY}"]
        reply = chat(app).pane.views[-1]
        assert reply.message.metadata["credential_scope"] == "user"
