"""The governed reply flow: validate metadata -> route -> policy decision -> deny / clarify /
ask for approval / reply (DESIGN.md section 3).

Every method is an async generator of events (core/conversations/events.py). Everything the
user sees is persisted before it is yielded, so a crash or a cancel never loses what was said.
Cancelling the consuming task while a reply streams keeps the partial reply, marked incomplete.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from amprealize_tui.core.audit.sink import AuditEventType, AuditSink
from amprealize_tui.core.conversations.events import (
    InputRejected,
    MessageAdded,
    MessageUpdated,
    ModelWorking,
    ReplyDelta,
    ReplyEvent,
    ReplyRestarted,
    RouteDecided,
)
from amprealize_tui.core.conversations.metadata import (
    EnrichedMetadata,
    MetadataError,
    validate_message_metadata,
)
from amprealize_tui.core.conversations.models import (
    Conversation,
    Message,
    MessageRole,
    MessageStatus,
)
from amprealize_tui.core.conversations.policy import Outcome, PolicyDecision, decide, held_scopes
from amprealize_tui.core.conversations.store import ConversationStore
from amprealize_tui.core.credentials.detect import find_pasted_key
from amprealize_tui.core.credentials.types import CredentialResolver
from amprealize_tui.core.providers.client import JsonCompleter, ProviderClient
from amprealize_tui.core.providers.errors import ProviderError
from amprealize_tui.core.providers.models import ModelCatalog
from amprealize_tui.core.providers.routing_client import RoutingCompleters
from amprealize_tui.core.routing.catalog import ACTION_CATALOG
from amprealize_tui.core.routing.contract import (
    ActionCategory,
    Risk,
    RouteContext,
    RouteMode,
    RouteResult,
)
from amprealize_tui.core.routing.gateway import ChatRouteGateway

SYSTEM_PROMPT = (
    "You are the assistant of amprealize-tui, a governed terminal chat app. Each user message "
    "was routed to an action by a permission-checked router; the routed action and whether the "
    "user approved it are given below. You cannot perform actions yourself: answer, explain, "
    "summarize, or draft what the action would need (a ticket text, a plan, an invitation), and "
    "say plainly that nothing was executed. Be concise; use Markdown."
)
HISTORY_MESSAGES = 40
HISTORY_CHARS = 24_000
FLUSH_EVERY_SECONDS = 0.2

NOTICE_KIND = "kind"
APPROVAL, CLARIFICATION, DENIAL, ERROR = "approval", "clarification", "denial", "error"


class ReplyFlowError(Exception):
    """A request the flow cannot honour (an approval already decided, an unknown choice...)."""


@dataclass(frozen=True, slots=True)
class _Request:
    """Everything needed to route and answer one user message, reconstructible from the store."""

    conversation: Conversation
    user_message: Message
    context: RouteContext
    metadata: EnrichedMetadata | None  # None when no credential resolves for the chosen model
    model_id: str
    unavailable_reason: str | None
    mode: RouteMode | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def route_metadata(route: RouteResult, decision: PolicyDecision) -> dict[str, Any]:
    """The chat_route* keys DESIGN.md section 3 stores on every reply and notice."""
    candidate = decision.candidate
    return {
        "chat_route": route.model_dump(mode="json"),
        "chat_route_mode": route.route_mode.value,
        "chat_route_requested_mode": route.requested_mode.value,
        "chat_route_confidence": candidate.confidence if candidate else 0.0,
        "chat_route_requires_clarification": route.requires_clarification,
        "chat_route_requires_approval": bool(candidate and candidate.requires_approval),
        "chat_route_fallback_reason": (
            route.fallback_reason.value if route.fallback_reason else None
        ),
        "chat_route_policy_context": {
            "chat_surface": candidate.permission_surface.value if candidate else None,
            "chat_action": candidate.action_id if candidate else None,
            "action_risk": candidate.risk.value if candidate else None,
            "sensitive_operation": bool(candidate and candidate.risk is Risk.HIGH),
            "chat_action_candidate": candidate.model_dump(mode="json") if candidate else None,
            "decision": decision.outcome.value,
        },
    }


class ReplyService:
    def __init__(
        self,
        *,
        store: ConversationStore,
        gateway: ChatRouteGateway,
        catalog: ModelCatalog,
        client: ProviderClient,
        resolver: CredentialResolver,
        audit: AuditSink,
        routing: RoutingCompleters,
        user_id: str,
        org_id: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._store = store
        self._gateway = gateway
        self._catalog = catalog
        self._client = client
        self._resolver = resolver
        self._audit = audit
        self._user_id = user_id
        self._org_id = org_id
        self._routing = routing
        self._clock = clock

    # ----------------------------------------------------------------- public flow

    async def send(
        self,
        conversation_id: str,
        text: str,
        *,
        model_id: str,
        credential_scope: str | None = None,
        mode: RouteMode | str | None = None,
    ) -> AsyncIterator[ReplyEvent]:
        """Route and answer one user message."""
        conversation = self._store.get_conversation(conversation_id)
        if conversation is None:
            yield InputRejected("This conversation no longer exists; start a new one.")
            return
        if not text.strip():
            yield InputRejected("Type a message first.")
            return
        if pasted := find_pasted_key(text):
            yield InputRejected(
                f"Your message contains what looks like an API key ({pasted}). It was not sent "
                "or saved: remove it, and store keys in Settings (F2), where they are encrypted."
            )
            return
        try:
            requested_mode = None if mode is None else self._gateway.check_mode(mode)
        except ValueError as exc:
            yield InputRejected(str(exc))
            return
        context = self._context(conversation)
        raw = {"llm_model_id": model_id, "credential_scope": credential_scope}
        model = self._catalog.get(model_id) if isinstance(model_id, str) else None
        if model is not None:
            raw["llm_provider"] = model.provider
        try:
            enriched, unavailable = self._validate(raw, context), None
        except _NoCredential as missing:
            enriched, unavailable = None, str(missing)
        except MetadataError as exc:
            yield InputRejected(str(exc))
            return
        user_metadata: dict[str, Any] = {
            "requested_route_mode": requested_mode.value if requested_mode else None,
            "requested_model_id": model_id,
            "requested_credential_scope": credential_scope,
        }
        if enriched is not None:
            user_metadata.update(enriched.to_metadata())
        user_message = self._store.add_message(
            conversation.id, role=MessageRole.USER, content=text, metadata=user_metadata
        )
        if conversation.title == _DEFAULT_TITLE:
            self._store.rename_conversation(conversation.id, _title_from(text))
        yield MessageAdded(user_message)
        request = _Request(
            conversation, user_message, context, enriched, model_id, unavailable, requested_mode
        )
        async for event in self._route_and_govern(request):
            yield event

    async def approve(self, approval_message_id: str) -> AsyncIterator[ReplyEvent]:
        """Record the user's approval, then stream the reply the approval was holding back."""
        card, request = self._pending(approval_message_id)
        decided = self._decide_card(card, MessageStatus.APPROVED)
        yield MessageUpdated(decided)
        route = RouteResult.model_validate(card.metadata["chat_route"])
        decision = decide(route, held_scopes(request.context, self._org_id))
        self._record(AuditEventType.APPROVAL, request, decision, "approved", route)
        if decision.candidate and decision.candidate.category in _EXECUTION_CATEGORIES:
            self._record(AuditEventType.EXECUTION_START, request, decision, "started", route)
        approval = {k: decided.metadata[k] for k in ("decided_by", "decided_at", "decision")}
        async for event in self._reply(request, route, decision, approval=approval):
            yield event

    async def deny(self, approval_message_id: str) -> AsyncIterator[ReplyEvent]:
        """Record the user's refusal; no model is called."""
        card, request = self._pending(approval_message_id)
        decided = self._decide_card(card, MessageStatus.DENIED)
        route = RouteResult.model_validate(card.metadata["chat_route"])
        decision = decide(route, held_scopes(request.context, self._org_id))
        self._record(AuditEventType.APPROVAL, request, decision, "denied", route)
        yield MessageUpdated(decided)

    async def choose(
        self, clarification_message_id: str, action_id: str
    ) -> AsyncIterator[ReplyEvent]:
        """Re-route a clarified message as if the chosen action's preset had been typed."""
        notice = self._require(clarification_message_id, CLARIFICATION)
        choices = {c["action_id"] for c in notice.metadata.get("choices", [])}
        if action_id not in choices or action_id not in ACTION_CATALOG:
            raise ReplyFlowError(f"{action_id!r} is not one of the offered choices.")
        if notice.metadata.get("chosen"):
            raise ReplyFlowError("This clarification was already answered.")
        request = self._request_for(notice)
        updated = self._store.update_message(
            notice.id, metadata={**notice.metadata, "chosen": action_id}
        )
        yield MessageUpdated(updated)
        started = time.perf_counter()
        route = self._gateway.route_with_preset(
            action_id, request.user_message.content, request.context
        )
        route = route.model_copy(update={"latency_ms": (time.perf_counter() - started) * 1000})
        async for event in self._govern(request, route):
            yield event

    async def retry(self, error_message_id: str) -> AsyncIterator[ReplyEvent]:
        """Run a failed message through the flow again (re-validating its credential)."""
        notice = self._require(error_message_id, ERROR)
        if not notice.metadata.get("retryable", False):
            raise ReplyFlowError("This error cannot be retried; fix the cause first.")
        request = self._request_for(notice)
        updated = self._store.update_message(
            notice.id, metadata={**notice.metadata, "retryable": False, "retried": True}
        )
        yield MessageUpdated(updated)
        async for event in self._route_and_govern(request):
            yield event

    # ----------------------------------------------------------------- routing and policy

    async def _route_and_govern(self, request: _Request) -> AsyncIterator[ReplyEvent]:
        completer = self._routing_completer(request)
        route = await self._gateway.route(
            request.user_message.content,
            request.context,
            mode=request.mode,
            completer=completer,
        )
        async for event in self._govern(request, route):
            yield event

    async def _govern(self, request: _Request, route: RouteResult) -> AsyncIterator[ReplyEvent]:
        decision = decide(route, held_scopes(request.context, self._org_id))
        self._record(AuditEventType.INTENT_CLASSIFICATION, request, decision, None, route)
        self._record(AuditEventType.POLICY_DECISION, request, decision, decision.outcome, route)
        yield RouteDecided(request.user_message.id, route, decision)
        base = {**route_metadata(route, decision), "user_message_id": request.user_message.id}
        if decision.outcome is Outcome.DENY:
            self._record(AuditEventType.DENIAL, request, decision, "denied", route)
            yield self._notice(
                request,
                DENIAL,
                decision.reason,
                MessageStatus.DENIED,
                {
                    **base,
                    "missing_scopes": [s.value for s in decision.missing_scopes],
                },
            )
        elif decision.outcome is Outcome.CLARIFY:
            choices = [
                {
                    "action_id": c.action_id,
                    "label": ACTION_CATALOG[c.action_id].label,
                    "confidence": c.confidence,
                }
                for c in route.candidates
            ]
            yield self._notice(
                request,
                CLARIFICATION,
                decision.reason,
                MessageStatus.CLARIFICATION,
                {**base, "choices": choices, "prompt": decision.reason},
            )
        elif decision.outcome is Outcome.REQUIRE_APPROVAL:
            candidate = decision.candidate
            assert candidate is not None
            yield self._notice(
                request,
                APPROVAL,
                decision.reason,
                MessageStatus.PENDING_APPROVAL,
                {
                    **base,
                    "candidate": candidate.model_dump(mode="json"),
                    "risk": candidate.risk.value,
                    "required_scopes": [s.value for s in candidate.required_scopes],
                    "decided_by": None,
                    "decided_at": None,
                },
            )
        else:
            async for event in self._reply(request, route, decision):
                yield event

    # ----------------------------------------------------------------- the model reply

    async def _reply(
        self,
        request: _Request,
        route: RouteResult,
        decision: PolicyDecision,
        *,
        approval: dict[str, Any] | None = None,
    ) -> AsyncIterator[ReplyEvent]:
        base = {**route_metadata(route, decision), "user_message_id": request.user_message.id}
        if approval:
            base["approval"] = approval
        try:
            metadata = request.metadata or self._validate(
                {"llm_model_id": request.model_id}, request.context
            )
        except (_NoCredential, MetadataError) as exc:
            yield self._error(request, str(exc), base, retryable=True)
            return
        model = metadata.model
        base.update(metadata.to_metadata())
        messages = self._prompt(request, decision, approval is not None)
        stream = self._client.stream(model, metadata.credential, messages)
        reply: Message | None = None
        pending: list[str] = []
        last_flush = time.monotonic()
        yield ModelWorking(model.model_id)
        thinking = False
        try:
            async with stream:
                async for chunk in stream:
                    if chunk.restart and reply is not None:
                        pending.clear()  # what was shown was the model's reasoning
                        self._store.update_message(reply.id, content="")
                        yield ReplyRestarted(reply.id)
                    if chunk.reasoning and not thinking and reply is None:
                        thinking = True
                        yield ModelWorking(model.model_id, thinking=True)
                    if not chunk.text:
                        continue
                    if reply is None:
                        reply = self._start_reply(request, base)
                        yield MessageAdded(reply)
                    pending.append(chunk.text)
                    yield ReplyDelta(reply.id, chunk.text)
                    if time.monotonic() - last_flush >= FLUSH_EVERY_SECONDS:
                        self._store.append_content(reply.id, "".join(pending))
                        pending.clear()
                        last_flush = time.monotonic()
        except asyncio.CancelledError:
            if reply is not None:
                self._finish(
                    reply, stream.result.text, MessageStatus.INCOMPLETE, "cancelled by the user"
                )
            raise
        except ProviderError as exc:
            if reply is not None:
                yield MessageUpdated(
                    self._finish(reply, stream.result.text, MessageStatus.INCOMPLETE, str(exc))
                )
            yield self._error(request, str(exc), base, retryable=exc.retryable)
            return
        result = stream.result
        interruption = result.interruption
        if reply is None:
            reply = self._start_reply(request, base)
            yield MessageAdded(reply)
            interruption = interruption or "the model returned no answer text"
        status = MessageStatus.INCOMPLETE if result.incomplete else MessageStatus.COMPLETE
        yield MessageUpdated(self._finish(reply, result.text, status, interruption))

    def _start_reply(self, request: _Request, metadata: dict[str, Any]) -> Message:
        """The assistant message, created at the first visible text so a failed call leaves
        only an error notice behind."""
        return self._store.add_message(
            request.conversation.id,
            role=MessageRole.ASSISTANT,
            content="",
            status=MessageStatus.STREAMING,
            metadata=metadata,
            parent_id=request.user_message.id,
        )

    def _finish(
        self, reply: Message, full_text: str, status: MessageStatus, interruption: str | None
    ) -> Message:
        """Write the whole text once more: the incremental saves may lag by one flush."""
        metadata = dict(reply.metadata)
        if interruption:
            metadata["interruption"] = interruption
        return self._store.update_message(
            reply.id, content=full_text, status=status, metadata=metadata
        )

    def _prompt(
        self, request: _Request, decision: PolicyDecision, approved: bool
    ) -> list[dict[str, str]]:
        candidate = decision.candidate
        action = candidate.action_id if candidate else "chat.read_synthesis"
        routing_note = f"Routed action: {action}." + (
            " The user approved it; it was not executed by this app." if approved else ""
        )
        history: list[dict[str, str]] = []
        budget = HISTORY_CHARS
        page = self._store.messages_page(
            request.conversation.id, limit=HISTORY_MESSAGES, before=request.user_message.id
        )
        for message in page:  # newest first
            if message.role not in (MessageRole.USER, MessageRole.ASSISTANT) or not message.content:
                continue
            budget -= len(message.content)
            if budget < 0:
                break
            history.append({"role": message.role.value, "content": message.content})
        history.reverse()
        return [
            {"role": "system", "content": f"{SYSTEM_PROMPT}\n{routing_note}"},
            *history,
            {"role": "user", "content": request.user_message.content},
        ]

    # ----------------------------------------------------------------- helpers

    def _context(self, conversation: Conversation) -> RouteContext:
        return RouteContext(
            scope=conversation.scope, project_id=conversation.project_id, org_id=self._org_id
        )

    def _validate(self, raw: dict[str, Any], context: RouteContext) -> EnrichedMetadata:
        try:
            return validate_message_metadata(
                raw,
                self._catalog,
                self._resolver,
                project_id=context.project_id,
                org_id=self._org_id,
            )
        except MetadataError as exc:
            if exc.missing_credential:
                raise _NoCredential(_no_model_hint(str(exc))) from None
            raise

    def _routing_completer(self, request: _Request) -> JsonCompleter | None:
        """The routing call uses the same BYOK-resolved credential as the reply."""
        return self._routing.for_context(
            project_id=request.context.project_id,
            org_id=self._org_id,
            prefer_user=request.user_message.metadata.get("requested_credential_scope") == "user",
            fallback=self._catalog.get(request.model_id),
        )

    def _notice(
        self,
        request: _Request,
        kind: str,
        content: str,
        status: MessageStatus,
        metadata: dict[str, Any],
    ) -> MessageAdded:
        message = self._store.add_message(
            request.conversation.id,
            role=MessageRole.SYSTEM,
            content=content,
            status=status,
            metadata={NOTICE_KIND: kind, **metadata},
            parent_id=request.user_message.id,
        )
        return MessageAdded(message)

    def _error(
        self, request: _Request, text: str, base: dict[str, Any], *, retryable: bool
    ) -> MessageAdded:
        return self._notice(
            request,
            ERROR,
            text,
            MessageStatus.ERROR,
            {
                **base,
                "retryable": retryable,
                "retry_of": request.user_message.id,
            },
        )

    def _require(self, message_id: str, kind: str) -> Message:
        message = self._store.get_message(message_id)
        if message is None or message.metadata.get(NOTICE_KIND) != kind:
            raise ReplyFlowError(f"No {kind} notice with id {message_id}.")
        return message

    def _pending(self, approval_message_id: str) -> tuple[Message, _Request]:
        card = self._require(approval_message_id, APPROVAL)
        if card.status is not MessageStatus.PENDING_APPROVAL:
            raise ReplyFlowError(f"This approval was already decided ({card.status.value}).")
        return card, self._request_for(card)

    def _decide_card(self, card: Message, status: MessageStatus) -> Message:
        decision = "approved" if status is MessageStatus.APPROVED else "denied"
        return self._store.update_message(
            card.id,
            status=status,
            metadata={
                **card.metadata,
                "decided_by": self._user_id,
                "decided_at": self._clock().isoformat(),
                "decision": decision,
            },
        )

    def _request_for(self, notice: Message) -> _Request:
        """Rebuild the request a notice belongs to from its user message (survives restarts)."""
        user_message = self._store.get_message(notice.metadata.get("user_message_id", ""))
        conversation = self._store.get_conversation(notice.conversation_id)
        if user_message is None or conversation is None:
            raise ReplyFlowError("The message this notice belongs to no longer exists.")
        context = self._context(conversation)
        requested = user_message.metadata
        model_id = requested.get("requested_model_id") or self._catalog.default().model_id
        raw = {
            "llm_model_id": model_id,
            "credential_scope": requested.get("requested_credential_scope"),
        }
        try:
            enriched, unavailable = self._validate(raw, context), None
        except (_NoCredential, MetadataError) as exc:
            enriched, unavailable = None, str(exc)
        mode = requested.get("requested_route_mode")
        return _Request(
            conversation,
            user_message,
            context,
            enriched,
            model_id,
            unavailable,
            RouteMode(mode) if mode else None,
        )

    def _record(
        self,
        event_type: AuditEventType,
        request: _Request,
        decision: PolicyDecision,
        outcome: str | None,
        route: RouteResult,
    ) -> None:
        candidate = decision.candidate
        metadata: dict[str, Any] = {
            "route_mode": route.route_mode.value,
            "requested_mode": route.requested_mode.value,
            "fallback_reason": route.fallback_reason.value if route.fallback_reason else None,
            "confidence": candidate.confidence if candidate else None,
            "risk": candidate.risk.value if candidate else None,
            "llm_model_id": request.model_id,
            "credential_scope": (request.metadata.credential_scope if request.metadata else "none"),
        }
        if decision.missing_scopes:
            metadata["missing_scopes"] = [s.value for s in decision.missing_scopes]
        self._audit.record(
            event_type,
            user_id=self._user_id,
            chat_scope=request.context.scope.value,
            action=candidate.action_id if candidate else None,
            decision=str(outcome) if outcome is not None else None,
            target_resources=[candidate.target_resource_type]
            if candidate and candidate.target_resource_type
            else [],
            conversation_id=request.conversation.id,
            message_id=request.user_message.id,
            metadata=metadata,
        )


class _NoCredential(Exception):
    """No key resolves for the chosen model: routing and policy still run, the reply cannot."""


_DEFAULT_TITLE = "New conversation"
_TITLE_CHARS = 48
_EXECUTION_CATEGORIES = frozenset({ActionCategory.EXECUTION_START})


def _title_from(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _TITLE_CHARS else line[: _TITLE_CHARS - 1].rstrip() + "…"


def _no_model_hint(message: str) -> str:
    return (
        f"{message}. Add a key in Settings (F2), with `amprealize-tui keys add nvidia`, "
        "or set NVIDIA_API_KEY; the route and policy above were still decided."
    )
