"""Model text is untrusted: terminal control sequences are removed, text and layout survive."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text


def test_plain_text_newlines_and_tabs_survive() -> None:
    text = "Hello **world**\n\tindented [bold]not markup[/bold] — ünïcode 🙂\n"
    assert sanitize_terminal_text(text) == text


def test_csi_colour_and_cursor_sequences_are_removed() -> None:
    assert sanitize_terminal_text("\x1b[31mred\x1b[0m \x1b[2J\x1b[10;5Hhere") == "red here"


def test_osc_title_and_clipboard_sequences_are_removed_with_their_payload() -> None:
    hostile = "a\x1b]0;pwned title\x07b\x1b]52;c;ZXZpbA==\x1b\\c"
    assert sanitize_terminal_text(hostile) == "abc"


def test_eight_bit_c1_controls_and_lone_controls_are_removed_without_eating_text() -> None:
    assert sanitize_terminal_text("x\x9b31m y\x9d0;t z\x00\x07\x08\x7f\x85") == "x31m y0;t z"


def test_carriage_return_cannot_overwrite_a_line() -> None:
    assert sanitize_terminal_text("safe\rEVIL\r\n") == "safeEVIL\n"


def test_unterminated_sequence_at_end_is_dropped() -> None:
    assert sanitize_terminal_text("tail\x1b]0;never closed") == "tail"
    assert sanitize_terminal_text("tail\x1b[") == "tail"


@given(st.text())
def test_output_never_contains_controls_other_than_newline_and_tab(text: str) -> None:
    cleaned = sanitize_terminal_text(text)
    assert all(ch in "\n\t" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in cleaned)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc",))))
def test_text_without_controls_is_unchanged(text: str) -> None:
    assert sanitize_terminal_text(text) == text
