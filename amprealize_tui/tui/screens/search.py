"""Search every conversation (ctrl+f, the palette, or `/search words` in the composer).

Results follow the typing; enter (or a click) opens the conversation at the message. The query
runs in a worker thread, so typing never waits for the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from amprealize_tui.core.conversations.search import SearchHit, find_messages, term_pattern

if TYPE_CHECKING:
    from amprealize_tui.core.conversations.store import ConversationStore

SEARCH_LIMIT = 50
DIALOG_CHROME = 13  # rows the dialog needs besides the results: borders, title, input, status
PROMPT = "Type words to find in any conversation (each word matches the start of a word)."


def hit_option(hit: SearchHit, query: str) -> Option:
    """A result as two lines: where (conversation, who, when), then the excerpt with the matched
    words marked. Titles and message text are the user's and the model's: plain text, never
    markup."""
    text = Content(hit.excerpt)
    pattern = term_pattern(query)
    for found in pattern.finditer(hit.excerpt) if pattern else ():
        text = text.stylize("bold underline", found.start(), found.end())
    details = [hit.role.value]
    if hit.created_at is not None:
        details.append(hit.created_at.astimezone().strftime("%Y-%m-%d %H:%M"))
    where = Content.assemble((hit.conversation_title, "bold"), (" · " + " · ".join(details), "dim"))
    return Option(Content.assemble(where, "\n", text), id=hit.message_id)


class SearchScreen(ModalScreen[SearchHit | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close", id="search.close"),
        # The input keeps the focus (typing refines at any time); these move the highlight.
        Binding("down", "move('cursor_down')", "Next result", show=False, id="search.next"),
        Binding("up", "move('cursor_up')", "Previous result", show=False, id="search.previous"),
        Binding("pagedown", "move('page_down')", "Page down", show=False, id="search.page_down"),
        Binding("pageup", "move('page_up')", "Page up", show=False, id="search.page_up"),
    ]

    def __init__(self, store: ConversationStore, query: str = "") -> None:
        super().__init__(id="search")
        self._store = store
        self._initial = query
        self._hits: dict[str, SearchHit] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="search-dialog"):
            yield Static("Search conversations", id="search-title")
            yield Input(self._initial, placeholder="words to find", id="search-input")
            yield Static(PROMPT, id="search-status", markup=False)
            yield OptionList(id="search-results")

    def on_resize(self, event: events.Resize) -> None:
        # The list scrolls inside the dialog: give it what the title, input and status leave.
        results = self.query_one("#search-results", OptionList)
        results.styles.max_height = max(4, int(event.size.height * 0.9) - DIALOG_CHROME)

    def on_mount(self) -> None:
        self.query_one("#search-results", OptionList).can_focus = False  # clicks still select
        self.query_one("#search-input", Input).focus()
        if self._initial.strip():
            self._search(self._initial)

    @on(Input.Changed, "#search-input")
    def _query_changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, query: str) -> None:
        hits = find_messages(self._store, query, limit=SEARCH_LIMIT) if query.strip() else []
        self.app.call_from_thread(self._show, query, hits)

    def _show(self, query: str, hits: list[SearchHit]) -> None:
        if query != self.query_one("#search-input", Input).value:
            return  # typing went on: a newer search is on its way
        self._hits = {hit.message_id: hit for hit in hits}
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        results.add_options(hit_option(hit, query) for hit in hits)
        if hits:
            results.highlighted = 0
        status = self.query_one("#search-status", Static)
        if not query.strip():
            status.update(PROMPT)
        elif not hits:
            status.update(f"No message contains {query.strip()!r}.")
        else:
            more = " (the newest)" if len(hits) == SEARCH_LIMIT else ""
            count = f"{len(hits)} message{'s' if len(hits) != 1 else ''}{more}"
            status.update(f"{count} · ↑/↓ choose · enter opens · esc closes")

    async def action_move(self, cursor_action: str) -> None:
        await self.query_one("#search-results", OptionList).run_action(cursor_action)

    @on(Input.Submitted, "#search-input")
    def _open_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#search-results", OptionList)
        if results.highlighted is not None:
            option = results.get_option_at_index(results.highlighted)
            if option.id is not None:
                self.dismiss(self._hits[option.id])

    @on(OptionList.OptionSelected, "#search-results")
    def _open_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id is not None:
            self.dismiss(self._hits[event.option_id])
