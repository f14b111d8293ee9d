"""Pilot tests of the chat screen over the real services (scripted provider, in-memory keyring)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Markdown, Static

from amprealize_tui.core.conversations.models import MessageRole, MessageStatus
from amprealize_tui.tui.app import AmprealizeApp
from amprealize_tui.tui.widgets.badges import BadgeRow, badges_content
from amprealize_tui.tui.widgets.messages import AssistantMessageView, MessageView, UserMessageView
from amprealize_tui.tui.widgets.notices import (
    ApprovalCard,
    ClarificationCard,
    DenialNotice,
    ErrorNotice,
)
from tests.tui_harness import (
    FAKE_NVIDIA_KEY,
    PINNED_LATENCY,
    ScriptedProvider,
    ScriptedReply,
    chat,
    harness_app,
    seed_conversation,
)

SIZE = (120, 40)


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def send(pilot: Pilot[None], text: str) -> None:
    chat(pilot.app).composer.prompt.insert(text)  # type: ignore[arg-type]
    await pilot.press("enter")
    await settle(pilot)


def badge_text(view: MessageView) -> str:
    row = view.query_one(BadgeRow)
    return badges_content(row._badges, 500).plain


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Pause until `condition()` holds, at most 3 s (mid-stream, where `settle` would wait for
    the reply to end)."""
    for _ in range(150):
        await pilot.pause(0.02)
        if condition():
            return


def streaming_reply(app: AmprealizeApp) -> AssistantMessageView | None:
    reply = views(app)[-1]
    return reply if isinstance(reply, AssistantMessageView) and reply.is_streaming else None


def status_text(app: AmprealizeApp) -> str:
    return str(chat(app).composer.query_one("#composer-status", Static).render())


def views(app: AmprealizeApp) -> list[MessageView]:
    return chat(app).pane.views


async def test_send_routes_streams_and_badges_the_reply(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "what is a b-tree?")
        user, reply = views(app)
        assert isinstance(user, UserMessageView) and isinstance(reply, AssistantMessageView)
        assert reply.message.status is MessageStatus.COMPLETE
        assert reply.query_one(Markdown).source == "Echo: what is a b-tree?"
        badges = badge_text(reply)
        for expected in ("chat.read_synthesis", "low risk", "deterministic", "DeepSeek V4 Flash"):
            assert expected in badges
        assert "BYOK user" in badges and PINNED_LATENCY in badges
        screen = chat(app)
        assert screen.composer.prompt.text == ""
        assert screen.conversation is not None
        assert screen.conversation.title == "what is a b-tree?"
        assert screen.sub_title == "Personal · alice · what is a b-tree?"
        (reply_request,) = provider.reply_requests
        assert reply_request["model"] == "deepseek-ai/deepseek-v4-flash"
        assert provider.authorizations == [f"Bearer {FAKE_NVIDIA_KEY}"]
        stored = screen.services.store.messages_page(screen.conversation.id)
        assert [m.role for m in reversed(stored)] == [MessageRole.USER, MessageRole.ASSISTANT]
        assert stored[0].metadata["llm_model_id"] == "nvidia/deepseek-ai/deepseek-v4-flash"


async def test_enter_sends_and_ctrl_j_inserts_a_newline(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", "i", "ctrl+j", "y", "o", "enter")
        await settle(pilot)
        user = views(app)[0]
        assert user.message.content == "hi\nyo"


async def test_route_mode_picker_is_sent_with_the_message(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.run_action("set_route_mode('hybrid')")
        await send(pilot, "what is a b-tree?")
        reply = views(app)[-1]
        assert reply.message.metadata["chat_route"]["requested_mode"] == "hybrid"
        assert "deterministic (hybrid)" in badge_text(reply)


async def test_approving_records_who_and_when_then_streams_the_reply(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/tool list files")
        card = views(app)[-1]
        assert isinstance(card, ApprovalCard) and card.pending
        assert provider.reply_requests == []  # nothing is asked of the model before approval
        status = chat(app).composer.query_one("#composer-status")
        assert "Needs your approval" in str(status.render())
        await pilot.press("a")  # typed into the composer: must not approve anything
        assert card.pending and app.focused is chat(app).composer.prompt
        chat(app).composer.prompt.clear()
        await pilot.press("ctrl+up")
        assert app.focused is card
        await pilot.press("a")
        await settle(pilot)
        assert card.message.status is MessageStatus.APPROVED
        body = str(card.query_one(".message-body").render())
        assert "Approved by alice at 2026-01-15 10:00" in body
        assert not card.query_one(".choices").display
        reply = views(app)[-1]
        assert isinstance(reply, AssistantMessageView)
        assert reply.message.metadata["approval"]["decision"] == "approved"
        assert "approved by alice" in badge_text(reply)
        assert len(provider.reply_requests) == 1


async def test_denying_by_button_calls_no_model(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/tool list files")
        card = views(app)[-1]
        assert isinstance(card, ApprovalCard)
        await pilot.click(card.query_one("#deny", Button))
        await settle(pilot)
        assert card.message.status is MessageStatus.DENIED
        assert "Denied by alice" in str(card.query_one(".message-body").render())
        assert "refused" in badge_text(card)
        assert views(app)[-1] is card
        assert provider.reply_requests == []


async def test_clarification_choice_by_number_re_routes(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "create a ticket and run it")
        card = views(app)[-1]
        assert isinstance(card, ClarificationCard) and card.open
        labels = [str(b.label) for b in card.query(Button)]
        assert labels[0].startswith("1 manage a work item") and labels[1].startswith("2 start")
        await pilot.press("ctrl+up", "1")
        await settle(pilot)
        assert card.chosen == "work_item.manage" and not card.open
        assert all(button.disabled for button in card.query(Button))
        reply = views(app)[-1]
        assert isinstance(reply, AssistantMessageView)
        assert reply.message.metadata["chat_route_policy_context"]["chat_action"] == (
            "work_item.manage"
        )
        assert "medium risk" in badge_text(reply)


async def test_denial_notice_says_what_is_missing(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/invite bob to the project")
        notice = views(app)[-1]
        assert isinstance(notice, DenialNotice)
        assert "denied on global_chat" in notice.message.content
        assert badge_text(notice).startswith(" denied ")
        assert provider.reply_requests == []


async def test_escape_cancels_the_stream_and_keeps_the_partial_reply(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    partial = "Partial answer, " * 30
    provider.reply(ScriptedReply((partial[:200], partial[200:]), hang=True))
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        chat(app).composer.prompt.insert("tell me a long story")
        await pilot.press("enter")
        await wait_for(pilot, lambda: streaming_reply(app) is not None)
        reply = streaming_reply(app)
        assert chat(app).replying
        await pilot.press("escape")
        await settle(pilot)
        assert not chat(app).replying
        assert isinstance(reply, AssistantMessageView)
        saved = chat(app).services.store.get_message(reply.message.id)
        assert saved is not None and saved.status is MessageStatus.INCOMPLETE
        assert saved.content == partial
        assert reply.query_one(".interrupted").display
        assert reply.query_one(Markdown).source == partial


async def test_error_notice_retry_keeps_the_users_text(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    provider.reply(ScriptedReply(status=400, detail="model overloaded"))
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "summarize the notes")
        error = views(app)[-1]
        assert isinstance(error, ErrorNotice) and error.retryable
        assert "model overloaded" in error.message.content
        await pilot.press("ctrl+up", "r")
        await settle(pilot)
        reply = views(app)[-1]
        assert isinstance(reply, AssistantMessageView)
        assert reply.query_one(Markdown).source == "Echo: summarize the notes"
        assert not error.retryable and not error.query_one(".choices").display
        assert [type(v) for v in views(app)].count(UserMessageView) == 1


async def test_no_key_picker_explains_and_routing_still_shows(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider, with_key=False)
    async with app.run_test(size=SIZE) as pilot:
        composer = chat(app).composer
        assert composer.model_picker.disabled
        assert composer.model_picker.prompt == "No model: needs an API key"
        status = str(composer.query_one("#composer-status").render())
        assert "Add your NVIDIA NIM key in Settings (F2)" in status or "Settings (F2)" in status
        assert "NVIDIA_API_KEY" in status
        await send(pilot, "what is a b-tree?")
        error = views(app)[-1]
        assert isinstance(error, ErrorNotice)
        assert "not available" in error.message.content
        assert "chat.read_synthesis" in badge_text(error)
        assert provider.requests == []


async def test_adding_a_key_refreshes_the_picker_without_restart(isolated_home: Path) -> None:
    app = harness_app(isolated_home, with_key=False)
    async with app.run_test(size=SIZE) as pilot:
        composer = chat(app).composer
        assert composer.model_picker.disabled
        chat(app).services.vault.save("nvidia", FAKE_NVIDIA_KEY)
        await pilot.pause()
        assert not composer.model_picker.disabled
        assert composer.model_id == "nvidia/deepseek-ai/deepseek-v4-flash"
        assert not composer.query_one("#composer-status").display


async def test_invalid_key_rejects_input_and_keeps_the_text(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        vault = chat(app).services.vault
        (record,) = vault.list_records()
        vault.disable(record.id, "test")
        await pilot.pause()
        composer = chat(app).composer
        assert composer.model_picker.prompt == "No model: key invalid or locked"
        await send(pilot, "keep this text")
        assert composer.prompt.text == "keep this text"
        assert "invalid or locked" in str(composer.query_one("#composer-status").render())
        assert views(app) == []


async def test_model_text_is_shown_literally_without_control_sequences(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    provider.reply(ScriptedReply(("\x1b]0;pwned\x07Safe ", "[bold red]literal[/] \x1b[2J", "end")))
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "hello")
        reply = views(app)[-1]
        assert isinstance(reply, AssistantMessageView)
        assert reply.query_one(Markdown).source == "Safe [bold red]literal[/] end"
        assert "\x1b" not in reply.copy_text()


async def test_expand_route_by_key_and_by_click(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "what is a b-tree?")
        reply = views(app)[-1]
        details = reply.query_one(".route-details")
        assert not details.display
        await pilot.press("ctrl+up", "e")
        assert details.display
        text = str(details.render())
        assert "1. chat.read_synthesis" in text and "surface global_chat" in text
        await pilot.click(reply.query_one(BadgeRow))
        assert not details.display


async def test_copy_last_reply_and_selected_message(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first question")
        await pilot.press("f4")
        assert app.clipboard == "Echo: first question"
        await pilot.press("ctrl+up", "up", "c")
        assert app.clipboard == "first question"
        # The app cannot know whether the terminal honoured OSC 52, so it does not claim so.
        notes = [str(n.message) for n in app._notifications]
        assert any("OSC 52" in note and "set-clipboard" in note for note in notes)


async def test_switch_new_and_delete_conversations(isolated_home: Path) -> None:
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await send(pilot, "alpha question")
        first = screen.conversation
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.pane.views == [] and screen.conversation != first
        await send(pilot, "beta question")
        titles = [str(o.prompt) for o in screen.sidebar.options]
        assert titles == ["beta question", "alpha question"]
        screen.sidebar.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.conversation is not None and screen.conversation.title == "alpha question"
        assert views(app)[0].message.content == "alpha question"
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.services.store.get_conversation(first.id) is None  # type: ignore[union-attr]
        assert screen.conversation is not None and screen.conversation.title == "beta question"
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert screen.services.store.get_conversation(screen.conversation.id) is not None


async def test_settings_command_opens_settings_instead_of_sending(isolated_home: Path) -> None:
    provider = ScriptedProvider()
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "/settings")
        assert type(app.screen).__name__ == "SettingsScreen"
        assert provider.requests == []
        assert chat(app).composer.prompt.text == ""


async def test_a_silent_model_shows_a_counting_wait_note_until_text_or_escape(
    isolated_home: Path,
) -> None:
    """Nothing arrives (a queued free-tier request): the composer says who is being waited
    for and counts the seconds; escape stops the call and the note goes."""
    provider = ScriptedProvider()
    provider.reply(ScriptedReply((), hang=True))
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        chat(app).composer.prompt.insert("are you there?")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Waiting for" in status_text(app))
        assert status_text(app) == "Waiting for DeepSeek V4 Flash… 0 s · esc stops"
        await pilot.pause(1.1)
        assert status_text(app) == "Waiting for DeepSeek V4 Flash… 1 s · esc stops"
        await pilot.press("escape")
        await settle(pilot)
        assert "Waiting" not in status_text(app)
        assert not chat(app).replying


async def test_the_wait_note_goes_when_the_answer_starts(isolated_home: Path) -> None:
    app = harness_app(isolated_home, ScriptedProvider())
    async with app.run_test(size=SIZE) as pilot:
        chat(app).composer.prompt.insert("hello")
        await pilot.press("enter")
        await settle(pilot)
        assert views(app)[-1].message.content == "Echo: hello"
        assert "Waiting" not in status_text(app)
        assert not chat(app).wait_note.active


async def test_reasoning_streamed_as_text_is_cleared_when_the_answer_restarts(
    isolated_home: Path,
) -> None:
    provider = ScriptedProvider()
    provider.reply(
        ScriptedReply(("let me think ", "about it", "</think>", "The answer."), hang=True)
    )
    app = harness_app(isolated_home, provider)
    async with app.run_test(size=SIZE) as pilot:
        chat(app).composer.prompt.insert("question")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                (reply := streaming_reply(app)) is not None
                and "The answer." in reply.query_one(Markdown).source
            ),
        )
        reply = streaming_reply(app)
        assert isinstance(reply, AssistantMessageView) and reply.is_streaming
        assert reply.query_one(Markdown).source == "The answer."  # the reasoning is gone
        await pilot.press("escape")
        await settle(pilot)


async def test_keys_that_reach_the_screen_instead_of_the_prompt_are_typed_into_it(
    isolated_home: Path,
) -> None:
    """At start-up, keys arrive before the prompt has focus and are queued for the screen; by
    the time the screen handles them the prompt is focused. They must land in the prompt, in
    order, and so must keys typed while nothing has focus."""
    app = harness_app(isolated_home)
    assert app.services is not None
    seed_conversation(app.services, "one turn", [("question", "answer")])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        prompt = screen.composer.prompt
        for character in "early":  # queued for the screen, as during start-up
            screen.post_message(events.Key(character, character))
        await pilot.pause()
        assert prompt.text == "early"
        screen.set_focus(None)
        await pilot.press("space", *"bird")
        assert prompt.text == "early bird" and app.focused is prompt
        await pilot.press("ctrl+up")  # a selected message keeps its own keys
        await pilot.press("e", "x")
        assert prompt.text == "early bird"
        assert app.focused is screen.pane.views[-1]
        screen.post_message(events.Key("enter", None))  # not while a message is selected
        await pilot.pause()
        assert prompt.text == "early bird"
        screen.composer.focus_prompt()
        screen.post_message(events.Key("enter", None))  # enter typed ahead sends the text
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert prompt.text == ""
        assert screen.pane.views[-2].message.content == "early bird"
        # Typed before the terminal went raw, enter arrives as a line feed (ctrl+j).
        for key, character in [("o", "o"), ("k", "k"), ("ctrl+j", None)]:
            screen.post_message(events.Key(key, character))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.pane.views[-2].message.content == "ok"


async def test_a_fast_burst_keeps_newlines_in_order(isolated_home: Path) -> None:
    """Keys arriving together (a fast typist, a paste without bracketed paste) keep their order:
    the newline is typed where it was pressed, not after the characters behind it."""
    app = harness_app(isolated_home)
    async with app.run_test(size=SIZE) as pilot:
        prompt = chat(app).composer.prompt
        for key, character in [("a", "a"), ("ctrl+j", None), ("b", "b"), ("c", "c")]:
            app.post_message(events.Key(key, character))
        await pilot.pause()
        await pilot.pause()
        assert prompt.text == "a\nbc"
