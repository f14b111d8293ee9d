"""The "New project chat" dialog: asks for a project id and answers it (or None if cancelled).

Execution and planning actions need project scopes, which a personal conversation never holds;
a conversation opened here lives in that project's space (scope project_space).
"""

from __future__ import annotations

from amprealize_tui.tui.screens.text_prompt import TextPromptScreen

PROJECT_ID_MAX = 128


def project_id_problem(text: str) -> str | None:
    """Why `text` is not a usable project id, or None when it is."""
    if not text:
        return "Type a project id, for example atlas."
    if any(character.isspace() for character in text):
        return "A project id cannot contain spaces or other whitespace."
    if len(text) > PROJECT_ID_MAX:
        return f"A project id is at most {PROJECT_ID_MAX} characters (this one has {len(text)})."
    return None


class ProjectChatScreen(TextPromptScreen):
    def __init__(self) -> None:
        super().__init__(
            title="New project chat",
            intro=(
                "Conversations in a project hold its project scope, which planning and "
                "execution actions need. Project keys are used first for its replies."
            ),
            placeholder="project id, e.g. atlas",
            confirm="Start",
            problem=project_id_problem,
            max_length=PROJECT_ID_MAX + 1,  # one over, so the limit is explained, not hit
        )
