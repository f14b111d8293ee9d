"""`amprealize-tui route`: route a message (or a batch of JSON lines) and print the result.

Imports stay light here; the routing core is imported inside run().
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import IO, TYPE_CHECKING, Any

from amprealize_tui.cli import UsageError

if TYPE_CHECKING:
    from amprealize_tui.core.config import Settings
    from amprealize_tui.core.providers.routing_client import RoutingCompleters
    from amprealize_tui.core.routing.contract import RouteContext, RouteMode, RouteResult
    from amprealize_tui.core.routing.gateway import ChatRouteGateway

BATCH_KEYS = ("message", "scope", "project_id", "org_id", "resource_links", "mode")

FALLBACK_TEXT = {
    "llm_unavailable": "LLM routing unavailable: no key for the routing model, or its endpoint "
    "cannot be reached",
    "llm_timeout": "LLM routing timed out",
    "llm_rate_limited": "LLM routing was rate limited",
    "llm_auth_failed": "LLM routing key was rejected (401/403)",
    "llm_http_error": "LLM routing request failed",
    "llm_output_too_large": "the routing model's answer was too large",
    "llm_invalid_json": "the routing model's answer was not the expected JSON",
    "llm_unknown_action": "the routing model proposed an action that does not exist",
    "llm_invalid_enum": "the routing model used a value that is not allowed",
    "llm_inconsistent_candidate": "the routing model's candidate contradicted the catalog",
    "empty_llm_candidates": "the routing model proposed no action",
}


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "route",
        help="route a message through the contract and print the result",
        description=(
            "Route MESSAGE (or each JSON line of --batch) to a governed action and print the "
            "route result. Nothing is executed."
        ),
    )
    parser.add_argument("message", nargs="?", help="the chat message to route")
    parser.add_argument(
        "--mode", help="deterministic, llm or hybrid (default: AMPREALIZE_CHAT_ROUTE_MODE)"
    )
    parser.add_argument(
        "--scope", default="global_user_home", help="conversation scope (default: %(default)s)"
    )
    parser.add_argument("--project-id", help="project the conversation belongs to")
    parser.add_argument("--org-id", help="organisation id")
    parser.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="TYPE:ID",
        help="a resource the conversation is linked to, e.g. run:42 (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--model",
        help="routing model id for --mode llm/hybrid (default: AMPREALIZE_CHAT_ROUTING_MODEL, "
        "else the default model)",
    )
    parser.add_argument(
        "--batch",
        metavar="FILE",
        help="route JSON lines from FILE ('-' for stdin): keys "
        + ", ".join(BATCH_KEYS)
        + "; one JSON result per line",
    )
    return parser


@asynccontextmanager
async def routing_completers(
    args: argparse.Namespace, settings: Settings
) -> AsyncIterator[RoutingCompleters]:
    """The routing model client for --mode llm/hybrid: `--model`, else the configured routing
    model, else the default; the key is resolved through the vault like a reply's (fail closed).
    Without a usable key the route falls back with llm_unavailable."""
    from amprealize_tui.core.providers.client import ProviderClient
    from amprealize_tui.core.providers.models import ModelCatalog
    from amprealize_tui.core.providers.routing_client import (
        RoutingCompleters,
        UnknownRoutingModel,
    )
    from amprealize_tui.core.services import open_resolver

    resolver = open_resolver(settings)
    client = ProviderClient(read_timeout=settings.routing_timeout, auth_reporter=resolver)
    try:
        yield RoutingCompleters(
            ModelCatalog.from_settings(settings),
            resolver,
            client,
            model_id=args.model or settings.routing_model,
        )
    except UnknownRoutingModel as exc:
        raise UsageError(str(exc)) from None
    finally:
        await client.aclose()


def build_context(
    scope: Any,
    project_id: Any,
    org_id: Any,
    links: Iterable[tuple[str, str]],
) -> RouteContext:
    """A RouteContext, or UsageError saying which value is wrong and how to fix it."""
    from pydantic import ValidationError

    from amprealize_tui.core.routing.contract import (
        ConversationScope,
        ResourceLink,
        RouteContext,
    )

    valid = ", ".join(s.value for s in ConversationScope)
    if not isinstance(scope, str):
        raise UsageError(f"scope must be one of: {valid}")
    try:
        conversation_scope = ConversationScope(scope)
    except ValueError:
        raise UsageError(f"unknown scope {scope!r}; use one of: {valid}") from None
    for name, value in (("project id", project_id), ("org id", org_id)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise UsageError(f"the {name} must be a non-empty string")
    if conversation_scope is ConversationScope.GLOBAL_USER_HOME and project_id:
        raise UsageError(
            "scope global_user_home (personal chat) must not have a project id; "
            "drop the project id or pick a project scope such as project_space"
        )
    if conversation_scope is not ConversationScope.GLOBAL_USER_HOME and not project_id:
        raise UsageError(f"scope {scope} needs a project id (--project-id NAME)")
    try:
        resource_links = tuple(ResourceLink(resource_type=t, resource_id=i) for t, i in links)
        return RouteContext(
            scope=conversation_scope,
            project_id=project_id,
            org_id=org_id,
            resource_links=resource_links,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()
        )
        raise UsageError(f"invalid route context: {problems}") from None


def parse_link(text: str) -> tuple[str, str]:
    resource_type, sep, resource_id = text.partition(":")
    if not sep or not resource_type.strip() or not resource_id.strip():
        raise UsageError(f"--link expects TYPE:ID (for example run:42), got {text!r}")
    return resource_type.strip(), resource_id.strip()


def _parse_mode(value: Any) -> RouteMode | None:
    from amprealize_tui.core.routing.gateway import RouteModeError, parse_route_mode

    if value is None:
        return None
    try:
        return parse_route_mode(value)
    except RouteModeError as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    import asyncio

    from amprealize_tui.core.config import load_settings
    from amprealize_tui.core.routing.gateway import ChatRouteGateway

    if args.batch is not None and args.message is not None:
        raise UsageError("give either a MESSAGE or --batch FILE, not both")
    if args.batch is None and args.message is None:
        raise UsageError("nothing to route: give a MESSAGE (in quotes) or --batch FILE")
    settings = load_settings()
    gateway = ChatRouteGateway.from_settings(settings)
    if args.batch is not None:
        if args.link or args.project_id or args.org_id:
            raise UsageError(
                "--batch takes the context from each line; drop --link/--project-id/--org-id"
            )
        lines = _read_batch(args.batch)
        asyncio.run(_route_batch(lines, gateway, args, settings, sys.stdout))
        return 0
    mode = _parse_mode(args.mode)
    context = build_context(
        args.scope, args.project_id, args.org_id, [parse_link(link) for link in args.link]
    )
    result = asyncio.run(_route_one(args.message, context, mode, gateway, args, settings))
    if args.json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
    else:
        print(summary(result))
    return 0


async def _route_one(
    message: str,
    context: RouteContext,
    mode: RouteMode | None,
    gateway: ChatRouteGateway,
    args: argparse.Namespace,
    settings: Settings,
) -> RouteResult:
    from amprealize_tui.core.routing.contract import RouteMode

    effective = gateway.check_mode(mode)
    if effective is RouteMode.DETERMINISTIC:
        return await gateway.route(message, context, mode=effective)
    async with routing_completers(args, settings) as completers:
        completer = completers.for_context(project_id=context.project_id, org_id=context.org_id)
        return await gateway.route(message, context, mode=effective, completer=completer)


def _read_batch(source: str) -> list[str]:
    if source == "-":
        return sys.stdin.read().splitlines()
    try:
        with open(source, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read batch file {source!r}: {exc}") from None


async def _route_batch(
    lines: list[str],
    gateway: ChatRouteGateway,
    args: argparse.Namespace,
    settings: Settings,
    out: IO[str],
) -> None:
    """One output line per input line, in order; a bad line gets {"error": ...} and the batch
    goes on."""
    for number, line in enumerate(lines, start=1):
        try:
            result = await _route_line(line, gateway, args, settings)
            payload: dict[str, Any] = result.model_dump(mode="json")
        except UsageError as exc:
            payload = {"error": f"line {number}: {exc}"}
        out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        out.flush()


async def _route_line(
    line: str, gateway: ChatRouteGateway, args: argparse.Namespace, settings: Settings
) -> RouteResult:
    try:
        item = json.loads(line)
    except ValueError as exc:
        raise UsageError(f"not valid JSON ({exc})") from None
    if not isinstance(item, dict):
        raise UsageError("each line must be a JSON object with at least a 'message' key")
    unknown = sorted(set(item) - set(BATCH_KEYS))
    if unknown:
        raise UsageError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(BATCH_KEYS)}")
    message = item.get("message")
    if not isinstance(message, str):
        raise UsageError("'message' must be a string")
    raw_links = item.get("resource_links") or []
    if not isinstance(raw_links, list) or not all(
        isinstance(link, dict) and set(link) == {"resource_type", "resource_id"}
        for link in raw_links
    ):
        raise UsageError("'resource_links' must be a list of {resource_type, resource_id} objects")
    links = [(link["resource_type"], link["resource_id"]) for link in raw_links]
    context = build_context(
        item.get("scope", "global_user_home"), item.get("project_id"), item.get("org_id"), links
    )
    mode = _parse_mode(item.get("mode", args.mode))
    return await _route_one(message, context, mode, gateway, args, settings)


def summary(result: RouteResult) -> str:
    """A few readable lines: the action, its permission row, approval, how it was routed."""
    from amprealize_tui.core.routing.catalog import ACTION_CATALOG

    lines: list[str] = []
    primary = result.primary
    if primary is not None:
        scopes = ", ".join(s.value for s in primary.required_scopes) or "none"
        lines += [
            f"action:    {primary.action_id} ({ACTION_CATALOG[primary.action_id].label}), "
            f"confidence {primary.confidence:.2f}",
            f"surface:   {primary.permission_surface.value} / {primary.permission_action.value}"
            f" -> {primary.permission_effect.value}; scopes: {scopes}",
            f"risk:      {primary.risk.value}; approval "
            + ("required" if primary.requires_approval else "not required"),
        ]
        others = [f"{c.action_id} {c.confidence:.2f}" for c in result.candidates[1:]]
        if others:
            lines.append("also:      " + ", ".join(others))
    if result.requires_clarification:
        lines.append(f"clarify:   {result.clarification_prompt}")
    routed = f"routed:    {result.route_mode.value}"
    if result.route_mode is not result.requested_mode:
        routed += f" (requested {result.requested_mode.value})"
    lines.append(f"{routed}, {result.latency_ms:.2f} ms")
    if result.fallback_reason is not None:
        reason = result.fallback_reason.value
        lines.append(
            f"fallback:  {FALLBACK_TEXT.get(reason, reason)} ({reason}); "
            "used the deterministic router"
        )
    return "\n".join(lines)
