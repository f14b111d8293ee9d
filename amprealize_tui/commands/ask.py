"""`amprealize-tui ask`: one message through the governed reply flow, without the TUI."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from amprealize_tui.core.conversations.events import ReplyEvent
    from amprealize_tui.core.conversations.models import Message
    from amprealize_tui.core.services import Services

EXIT_OK, EXIT_REFUSED, EXIT_NEEDS_INPUT = 0, 1, 4


def register(sub: Any) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "ask",
        help="send one message through routing, policy, approval and the model",
        description=(
            "Route MESSAGE, apply the permission matrix and approval step, and stream the "
            "selected model's reply. Exit 0 on a reply, 1 when denied or on an error, "
            f"{EXIT_NEEDS_INPUT} when approval or clarification is needed and no terminal "
            "can answer (use --yes to approve)."
        ),
    )
    parser.add_argument("message")
    parser.add_argument("--model", help="model id (see `amprealize-tui models`)")
    parser.add_argument("--mode", help="route mode: deterministic, llm or hybrid")
    parser.add_argument("--project-id", help="ask inside this project (project scope)")
    parser.add_argument("--yes", action="store_true", help="approve an approval step")
    return parser


def run(args: argparse.Namespace) -> int:
    import asyncio

    from amprealize_tui.core.config import load_settings
    from amprealize_tui.core.services import build_services

    services = build_services(load_settings())
    interactive = sys.stdin.isatty()
    return asyncio.run(_ask(services, args, _terminal_prompt if interactive else None))


Prompt = Callable[[str], str]


def _terminal_prompt(question: str) -> str:
    return input(question)


async def _ask(services: Services, args: argparse.Namespace, prompt: Prompt | None) -> int:
    from amprealize_tui.core.routing.contract import ConversationScope

    try:
        scope = (
            ConversationScope.PROJECT_SPACE
            if args.project_id
            else ConversationScope.GLOBAL_USER_HOME
        )
        conversation = services.store.create_conversation(scope=scope, project_id=args.project_id)
        model_id = args.model or services.catalog.default().model_id
        printer = _Printer(sys.stdout, services)
        events = services.replies.send(
            conversation.id, args.message, model_id=model_id, mode=args.mode
        )
        while events is not None:
            await printer.consume(events)
            events = _next_step(printer, services, args.yes, prompt)
        return printer.exit_code
    finally:
        await services.aclose()


def _next_step(
    printer: _Printer, services: Services, yes: bool, prompt: Prompt | None
) -> AsyncIterator[ReplyEvent] | None:
    """After a notice that waits for the user, ask them (or --yes) and continue the flow."""
    pending = printer.waiting
    printer.waiting = None
    if pending is None:
        return None
    kind = pending.metadata.get("kind")
    if kind == "approval":
        if yes:
            return services.replies.approve(pending.id)
        if prompt is None:
            print("Approval needed: re-run with --yes to approve.", file=sys.stderr)
            printer.exit_code = EXIT_NEEDS_INPUT
            return None
        answer = prompt("Approve? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return services.replies.approve(pending.id)
        printer.exit_code = EXIT_REFUSED
        return services.replies.deny(pending.id)
    choices = pending.metadata.get("choices", [])
    if prompt is None or not choices:
        print(
            "Clarification needed: rephrase the message or use a preset such as /plan.",
            file=sys.stderr,
        )
        printer.exit_code = EXIT_NEEDS_INPUT
        return None
    answer = prompt(f"Choose 1-{len(choices)} (anything else cancels): ").strip()
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return services.replies.choose(pending.id, choices[int(answer) - 1]["action_id"])
    printer.exit_code = EXIT_NEEDS_INPUT
    return None


RESTART_NOTE = "[the text above was the model's reasoning, not its answer; the answer follows]"


class _Printer:
    """Renders reply events as plain text: a route line, notices, the streamed reply."""

    def __init__(self, out: TextIO, services: Services) -> None:
        self._out = out
        self._services = services
        self.exit_code = EXIT_OK
        self.waiting: Message | None = None

    async def consume(self, events: AsyncIterator[ReplyEvent]) -> None:
        from amprealize_tui.core.conversations.events import (
            InputRejected,
            MessageAdded,
            MessageUpdated,
            ReplyDelta,
            ReplyRestarted,
            RouteDecided,
        )
        from amprealize_tui.core.conversations.sanitize import sanitize_terminal_text

        async for event in events:
            if isinstance(event, RouteDecided):
                self._line(_route_line(event))
            elif isinstance(event, ReplyDelta):
                self._out.write(sanitize_terminal_text(event.text))
                self._out.flush()
            elif isinstance(event, ReplyRestarted):  # what streamed was reasoning after all
                self._line(f"\n{RESTART_NOTE}")
            elif isinstance(event, InputRejected):
                self._error(event.error)
            elif isinstance(event, MessageAdded | MessageUpdated):
                self._message(event.message, isinstance(event, MessageUpdated))

    def _message(self, message: Message, updated: bool) -> None:
        from amprealize_tui.core.conversations.models import MessageRole, MessageStatus

        kind = message.metadata.get("kind")
        if message.role is MessageRole.ASSISTANT and updated:
            note = " [incomplete]" if message.status is MessageStatus.INCOMPLETE else ""
            self._line(f"{note}\n-- {self._model_line(message.metadata)}")
        elif kind == "approval" and not updated:
            meta = message.metadata
            self._line(
                f"approval needed: {message.content} "
                f"(risk {meta.get('risk')}, scopes {', '.join(meta['required_scopes'])})"
            )
            self.waiting = message
        elif kind == "approval":
            self._line(
                f"{message.metadata.get('decision')} by "
                f"{message.metadata.get('decided_by')} at "
                f"{message.metadata.get('decided_at')}"
            )
        elif kind == "clarification" and not updated:
            self._line(f"clarification: {message.content}")
            for number, choice in enumerate(message.metadata.get("choices", []), 1):
                self._line(
                    f"  {number}. {choice['action_id']} ({choice['label']}, "
                    f"confidence {choice['confidence']:.2f})"
                )
            self.waiting = message
        elif kind == "denial":  # the governed answer: part of the transcript
            self._line(f"denial: {message.content}")
            self.exit_code = EXIT_REFUSED
        elif kind == "error":
            self._error(message.content)

    def _model_line(self, metadata: dict[str, Any]) -> str:
        from amprealize_tui.core.conversations.labels import credential_label

        model = self._services.catalog.get(metadata.get("llm_model_id", ""))
        name = model.display_name if model else metadata.get("llm_model_id")
        return f"{name} · {credential_label(metadata)}"

    def _line(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def _error(self, text: str) -> None:
        """What went wrong goes to stderr, so a script's captured output is only the answer."""
        self._out.flush()
        print(f"error: {text}", file=sys.stderr, flush=True)
        self.exit_code = EXIT_REFUSED


def _route_line(event: Any) -> str:
    route, decision = event.route, event.decision
    candidate = decision.candidate
    parts = [
        f"route: {candidate.action_id if candidate else 'none'}",
        f"risk {candidate.risk.value}" if candidate else "",
        f"decision {decision.outcome.value}",
        f"via {route.route_mode.value}"
        + (
            f" (requested {route.requested_mode.value})"
            if route.requested_mode is not route.route_mode
            else ""
        ),
        f"fallback {route.fallback_reason.value}" if route.fallback_reason else "",
        f"{route.latency_ms:.1f} ms",
    ]
    return " · ".join(p for p in parts if p)
