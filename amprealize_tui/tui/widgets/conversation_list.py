"""The conversation list (sidebar): newest first, the open one highlighted, project chats marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

if TYPE_CHECKING:
    from amprealize_tui.core.conversations.models import Conversation


def scope_label(conversation: Conversation | None) -> str:
    if conversation is None or not conversation.project_id:
        return "Personal"
    return f"Project {conversation.project_id}"


def list_label(conversation: Conversation) -> Content:
    """The title, after the project id (accented) for a project conversation: "atlas · title"."""
    if not conversation.project_id:
        return Content(conversation.title)
    return Content.assemble((f"{conversation.project_id} · ", "$text-accent"), conversation.title)


class ConversationList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete", "app.delete_conversation", "Delete", id="conversations.delete"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        # Painted before the store opens: says so until `show` lists the conversations.
        super().__init__(Option("Loading…", disabled=True), id=id)

    def show(self, conversations: Sequence[Conversation], current_id: str | None) -> None:
        if conversations:
            self.set_options(Option(list_label(c), id=c.id) for c in conversations)
        else:
            self.set_options([Option("No conversations yet", disabled=True)])
        self.mark_current(current_id)

    def mark_current(self, current_id: str | None) -> None:
        if current_id is None:
            self.highlighted = None
            return
        try:
            self.highlighted = self.get_option_index(current_id)
        except OptionDoesNotExist:
            self.highlighted = None
