"""Make untrusted model text safe to show in a terminal.

Model output is data, not terminal instructions: escape sequences (CSI, OSC, DCS, ...) and other
C0/C1 control characters could move the cursor, retitle the window, write the clipboard (OSC 52)
or hide text. They are removed; newlines and tabs are kept. Rich markup needs no handling here:
the UI renders model text as Markdown or plain text, never as markup.
"""

from __future__ import annotations

import re

# ESC-introduced sequences first (so their parameters go too), then any lone control character
# (C1 controls included: they are dropped one by one, never allowed to swallow following text).
# OSC/DCS/SOS/PM/APC strings run to BEL or ST (ESC \); CSI runs to its final byte; other ESC
# sequences are ESC plus intermediates plus one final byte.
_STRING_SEQUENCE = r"\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
_CSI_SEQUENCE = r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
_OTHER_ESCAPE = r"\x1b[\x20-\x2f]*[\x30-\x7e]?"
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_UNSAFE = re.compile(f"{_STRING_SEQUENCE}|{_CSI_SEQUENCE}|{_OTHER_ESCAPE}|{_CONTROL}")


def sanitize_terminal_text(text: str) -> str:
    """`text` without terminal escape sequences or control characters other than \\n and \\t.

    A carriage return is dropped too (a lone CR would let text overwrite the start of its line);
    CRLF line endings therefore become LF.
    """
    return _UNSAFE.sub("", text)
