"""OpenAI-compatible chat-completions client (httpx) with the hosted API's quirks handled.

Every call goes through `_open`, which sends the request, polls a 202 + NVCF-REQID answer to its
end, retries 429 (Retry-After honoured, capped; otherwise bounded exponential backoff with
jitter) and 5xx a bounded number of times, and turns every other failure into a typed
ProviderError whose message says what to do. The key goes only into the Authorization header:
httpx errors are translated `from None` so no request object (with its headers) rides along on
an exception, and provider error text is scrubbed of the key before it is quoted.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx

from amprealize_tui.core.credentials.types import CredentialResolver, ResolvedCredential
from amprealize_tui.core.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderHTTPError,
    ProviderModelNotFound,
    ProviderOutputTooLarge,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from amprealize_tui.core.providers.models import ModelDefinition, provider_label
from amprealize_tui.core.providers.reasoning import ThinkSplitter, split_reasoning
from amprealize_tui.core.providers.results import (
    Completion,
    StreamChunk,
    Usage,
    VerifyResult,
    VerifyStatus,
)
from amprealize_tui.core.providers.sse import iter_sse_data

logger = logging.getLogger(__name__)

MAX_REPLY_BYTES = 16 * 1024 * 1024  # a whole non-streamed reply
MAX_JSON_BYTES = 256 * 1024  # a routing answer
MAX_ERROR_BYTES = 64 * 1024  # an error body we read to quote its detail
MAX_DETAIL_CHARS = 300
VERIFY_READ_TIMEOUT = 60.0
# Untagged opening text of a thinking model streams at once; a lone </think> within this many
# characters turns it into reasoning and the answer restarts (reasoning.py). Longer is an answer
# for certain. Streamed chunks and `result` always agree.
REASONING_PROVISIONAL_CHARS = 4000
DEFAULT_POLL_URL = "{base_url}/status/{request_id}"

Sleep = Callable[[float], Awaitable[Any]]
# The connection broke before an answer arrived: worth another attempt (timeouts and refused
# connections are not: they would only repeat).
_DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def _network_error(
    exc: httpx.TransportError, model: ModelDefinition, read_timeout: float
) -> ProviderError:
    label = provider_label(model.provider)
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderTimeout(
            f"Connecting to {label} at {model.base_url} timed out: check your network or the "
            "endpoint URL, then retry."
        )
    if isinstance(exc, httpx.ConnectError):
        return ProviderUnavailable(
            f"Cannot connect to {label} at {model.base_url}: check that the server is running "
            "and the URL is right."
        )
    if isinstance(exc, httpx.TimeoutException):
        return ProviderTimeout(
            f"{label} did not answer within {read_timeout:g}s: it may be busy (the free tier "
            "queues requests); retry later."
        )
    return ProviderUnavailable(
        f"The connection to {label} dropped ({type(exc).__name__}): retry in a moment."
    )


@contextlib.contextmanager
def _translated(model: ModelDefinition, read_timeout: float) -> Iterator[None]:
    """httpx transport errors -> ProviderError, without chaining (the cause holds the request)."""
    try:
        yield
    except httpx.TransportError as exc:
        raise _network_error(exc, model, read_timeout) from None


def _scrub(text: str, credential: ResolvedCredential | None) -> str:
    if credential is not None:
        secret = credential.secret.reveal()
        if secret:
            text = text.replace(secret, credential.mask)
    return text


def _error_detail(body: bytes, credential: ResolvedCredential | None) -> str:
    """The useful sentence of an error body: problem-details `detail`, OpenAI `error.message`."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        for candidate in (parsed.get("detail"), error, parsed.get("title")):
            if isinstance(candidate, str) and candidate.strip():
                text = candidate.strip()
                break
    text = " ".join(_scrub(text, credential).split())
    if len(text) > MAX_DETAIL_CHARS:
        text = text[: MAX_DETAIL_CHARS - 1] + "…"
    return text


def _retry_after(value: str | None, cap: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), capped; None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


def _status_error(status: int, detail: str, model: ModelDefinition, attempts: int) -> ProviderError:
    label = provider_label(model.provider)
    said = f" {label} said: {detail}" if detail else ""
    if status in (401, 403):
        return ProviderAuthError(
            f"{label} rejected the API key ({status}): check or replace it in Settings.{said}",
            status=status,
        )
    if status == 404:
        return ProviderModelNotFound(
            f"{label} does not serve {model.display_name} ({model.api_name}) to this account "
            f"(404): pick another model.{said}",
            status=status,
        )
    if status == 429:
        return ProviderRateLimited(
            f"{label} is rate limiting requests (429) and {attempts} attempt(s) did not get "
            f"through: wait a minute and retry.{said}",
            status=status,
        )
    if status >= 500:
        return ProviderHTTPError(
            f"{label} had a server error ({status}) on {attempts} attempt(s): retry later.{said}",
            status=status,
        )
    return ProviderHTTPError(
        f"{label} refused the request ({status}).{said or ' No detail was given.'}", status=status
    )


def _loads(raw: bytes, model: ModelDefinition) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ProviderHTTPError(
            f"{provider_label(model.provider)} sent a reply that is not JSON: retry, or pick "
            "another model."
        ) from None


def _first_choice(payload: Any) -> dict[str, Any]:
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return {}


def _text_field(source: Any, *names: str) -> str:
    if not isinstance(source, dict):
        return ""
    return "".join(v for n in names if isinstance(v := source.get(n), str))


def _parse_completion(raw: bytes, model: ModelDefinition) -> Completion:
    payload = _loads(raw, model)
    if isinstance(payload, dict) and "error" in payload and "choices" not in payload:
        raise ProviderHTTPError(
            f"{provider_label(model.provider)} answered with an error: {_error_detail(raw, None)}"
        )
    choice = _first_choice(payload)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise ProviderHTTPError(
            f"{provider_label(model.provider)} sent a reply without a message: retry, or pick "
            "another model."
        )
    inline_reasoning, text = split_reasoning(_text_field(message, "content"))
    finish = choice.get("finish_reason")
    return Completion(
        text=text,
        reasoning=_text_field(message, "reasoning_content", "reasoning") + inline_reasoning,
        finish_reason=finish if isinstance(finish, str) else None,
        usage=Usage.parse(payload.get("usage")),
    )


async def _read_limited(
    response: httpx.Response, limit: int, model: ModelDefinition, read_timeout: float
) -> bytes:
    body = bytearray()
    with _translated(model, read_timeout):
        async for part in response.aiter_bytes():
            body += part
            if len(body) > limit:
                raise ProviderOutputTooLarge(
                    f"{provider_label(model.provider)} sent more than {limit // 1024} KiB; the "
                    "answer was discarded."
                )
    return bytes(body)


class ProviderClient:
    """One shared httpx.AsyncClient for every provider; per-call timeouts and retries."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 600.0,
        max_retries: int = 3,
        auth_reporter: CredentialResolver | None = None,
        sleep: Sleep = asyncio.sleep,
        poll_url: str = DEFAULT_POLL_URL,
        poll_interval: float = 1.0,
        max_retry_after: float = 30.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
    ) -> None:
        """poll_url: where a 202 + NVCF-REQID answer is polled, formatted with base_url and
        request_id. max_retry_after caps a server's Retry-After; backoff without one is
        min(backoff_cap, backoff_base * 2**attempt) times a random factor in [0.5, 1)."""
        self._http = httpx.AsyncClient(transport=transport, follow_redirects=False)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self._reporter = auth_reporter
        self._sleep = sleep
        self._poll_url = poll_url
        self._poll_interval = poll_interval
        self._max_retry_after = max_retry_after
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(
        self,
        model: ModelDefinition,
        credential: ResolvedCredential | None,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
    ) -> Completion:
        body = self._body(model, messages, stream=False, max_tokens=max_tokens)
        return await self._complete(model, credential, body, read_timeout=self.read_timeout)

    def stream(
        self,
        model: ModelDefinition,
        credential: ResolvedCredential | None,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
    ) -> CompletionStream:
        """A streamed reply: `async for chunk in stream` (or `async with` it to be sure it is
        closed if you stop early); `stream.result` is the Completion. Errors before the first
        delta raise ProviderError; after it the partial reply is kept, marked incomplete."""
        body = self._body(model, messages, stream=True, max_tokens=max_tokens)
        return CompletionStream(self, model, credential, body)

    def json_completer(
        self, model: ModelDefinition, credential: ResolvedCredential | None
    ) -> JsonCompleter:
        return JsonCompleter(self, model, credential)

    async def verify_key(
        self, model: ModelDefinition, credential: ResolvedCredential | None
    ) -> VerifyResult:
        """A 1-token completion. Unlike other calls it does not report to auth_reporter: the
        caller (key verification) decides what a verdict does to the stored key."""
        body = self._body(model, [{"role": "user", "content": "ping"}], stream=False, max_tokens=1)
        label = provider_label(model.provider)
        try:
            await self._complete(
                model,
                credential,
                body,
                read_timeout=min(self.read_timeout, VERIFY_READ_TIMEOUT),
                retries=0,
                report=False,
            )
        except ProviderAuthError as exc:
            return VerifyResult(VerifyStatus.INVALID, str(exc), exc.status)
        except ProviderModelNotFound as exc:
            return VerifyResult(VerifyStatus.MODEL_NOT_SERVED, str(exc), exc.status)
        except ProviderError as exc:
            return VerifyResult(
                VerifyStatus.INCONCLUSIVE,
                f"Could not tell whether the key is valid: {exc}",
                exc.status,
            )
        return VerifyResult(
            VerifyStatus.VALID, f"{label} accepted the key for {model.display_name}.", 200
        )

    # -- internals shared by every call -------------------------------------------------

    @staticmethod
    def _body(
        model: ModelDefinition,
        messages: list[dict[str, str]],
        *,
        stream: bool,
        max_tokens: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model.api_name, "messages": list(messages)}
        if max_tokens is not None:
            if max_tokens < 1:
                raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
            body["max_tokens"] = min(max_tokens, model.max_output_tokens)
        body["stream"] = stream
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    async def _complete(
        self,
        model: ModelDefinition,
        credential: ResolvedCredential | None,
        body: dict[str, Any],
        *,
        read_timeout: float,
        retries: int | None = None,
        max_bytes: int = MAX_REPLY_BYTES,
        report: bool = True,
    ) -> Completion:
        response = await self._open(
            model, credential, body, read_timeout=read_timeout, retries=retries, report=report
        )
        try:
            raw = await _read_limited(response, max_bytes, model, read_timeout)
        finally:
            await response.aclose()
        return _parse_completion(raw, model)

    def _headers(
        self, model: ModelDefinition, credential: ResolvedCredential | None, accept: str
    ) -> dict[str, str]:
        label = provider_label(model.provider)
        headers = {"Accept": accept}
        if credential is None:
            if model.requires_key:
                raise ProviderUnavailable(
                    f"No API key for {label}: add one in Settings (F2) to use "
                    f"{model.display_name}.",
                )
            return headers
        if credential.provider != model.provider:
            raise ProviderUnavailable(
                f"A {provider_label(credential.provider)} key cannot be sent to {label}: pick a "
                f"{credential.provider} model or add a {label} key."
            )
        headers["Authorization"] = f"Bearer {credential.secret.reveal()}"
        return headers

    def _report(self, credential: ResolvedCredential | None, ok: bool) -> None:
        if self._reporter is not None and credential is not None:
            self._reporter.report_auth_result(credential, ok)

    def _backoff(self, attempt: int) -> float:
        return min(self._backoff_cap, self._backoff_base * 2**attempt) * (0.5 + random.random() / 2)

    async def _open(
        self,
        model: ModelDefinition,
        credential: ResolvedCredential | None,
        body: dict[str, Any],
        *,
        read_timeout: float,
        retries: int | None = None,
        report: bool = True,
    ) -> httpx.Response:
        """POST the request until it settles; the 200 response is returned unread (streamed)."""
        retries = self.max_retries if retries is None else retries
        accept = "text/event-stream" if body.get("stream") else "application/json"
        headers = self._headers(model, credential, accept)
        timeout = httpx.Timeout(self.connect_timeout, read=read_timeout, write=self.connect_timeout)
        url = f"{model.base_url}/chat/completions"
        attempt = 0
        while True:
            try:
                request = self._http.build_request(
                    "POST", url, json=body, headers=headers, timeout=timeout
                )
                response = await self._http.send(request, stream=True)
                response = await self._settle_accepted(
                    response, model, headers, timeout, read_timeout
                )
            except httpx.TransportError as exc:
                if isinstance(exc, _DROPPED) and attempt < retries:
                    # e.g. a kept-alive connection the server had already closed
                    logger.info("%s dropped the connection; retrying", model.provider)
                    await self._sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise _network_error(exc, model, read_timeout) from None
            status = response.status_code
            logger.debug("POST %s -> %s (attempt %d)", url, status, attempt + 1)
            if status == 200:
                if report:
                    self._report(credential, True)
                return response
            try:
                raw = await _read_limited(response, MAX_ERROR_BYTES, model, read_timeout)
            except ProviderOutputTooLarge:
                raw = b""
            finally:
                await response.aclose()
            if status in (401, 403) and report:
                self._report(credential, False)
            if (status == 429 or status >= 500) and attempt < retries:
                delay = _retry_after(response.headers.get("retry-after"), self._max_retry_after)
                delay = self._backoff(attempt) if delay is None else delay
                logger.info("%s answered %s; retrying in %.2fs", model.provider, status, delay)
                await self._sleep(delay)
                attempt += 1
                continue
            raise _status_error(status, _error_detail(raw, credential), model, attempt + 1)

    async def _settle_accepted(
        self,
        response: httpx.Response,
        model: ModelDefinition,
        headers: dict[str, str],
        timeout: httpx.Timeout,
        read_timeout: float,
    ) -> httpx.Response:
        """Poll a 202 + NVCF-REQID answer until it is something else, within read_timeout."""
        waited = 0.0
        while response.status_code == 202:
            request_id = response.headers.get("nvcf-reqid")
            await response.aclose()
            if not request_id:
                raise ProviderHTTPError(
                    f"{provider_label(model.provider)} accepted the request (202) without a "
                    "request id to poll: retry later.",
                    status=202,
                )
            if waited >= read_timeout:
                raise ProviderTimeout(
                    f"{provider_label(model.provider)} kept the request queued for more than "
                    f"{read_timeout:g}s: retry later."
                )
            await self._sleep(self._poll_interval)
            waited += self._poll_interval
            url = self._poll_url.format(base_url=model.base_url, request_id=request_id)
            logger.debug("polling %s", url)
            request = self._http.build_request("GET", url, headers=headers, timeout=timeout)
            response = await self._http.send(request, stream=True)
        return response


class CompletionStream:
    """Iterate for StreamChunk deltas. `result` is the Completion so far: after the iteration
    ends it is final (incomplete if the stream was cut); after a cancellation it holds the
    partial reply."""

    def __init__(
        self,
        client: ProviderClient,
        model: ModelDefinition,
        credential: ResolvedCredential | None,
        body: dict[str, Any],
    ) -> None:
        self._client = client
        self._model = model
        self._credential = credential
        self._body = body
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._complete = False
        self._interruption: str | None = None
        self._received = False
        self._chunks = self._run()

    def __aiter__(self) -> AsyncIterator[StreamChunk]:
        return self._chunks

    async def __aenter__(self) -> CompletionStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._chunks.aclose()

    @property
    def result(self) -> Completion:
        return Completion(
            text="".join(self._text),
            reasoning="".join(self._reasoning),
            finish_reason=self._finish_reason,
            incomplete=not self._complete,
            usage=self._usage,
            interruption=None if self._complete else self._interruption,
        )

    def _emit(self, reasoning: str, text: str, *, restart: bool = False) -> StreamChunk | None:
        if restart:  # the answer text so far was reasoning; `reasoning` repeats it
            self._text.clear()
        elif not (reasoning or text):
            return None
        self._reasoning.append(reasoning)
        self._text.append(text)
        return StreamChunk(text=text, reasoning=reasoning, restart=restart)

    async def _run(self) -> AsyncIterator[StreamChunk]:
        model, read_timeout = self._model, self._client.read_timeout
        response = await self._client._open(
            model, self._credential, self._body, read_timeout=read_timeout
        )
        try:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                # A polled (202) request ends in an ordinary JSON completion.
                raw = await _read_limited(response, MAX_REPLY_BYTES, model, read_timeout)
                whole = _parse_completion(raw, model)
                self._finish_reason, self._usage = whole.finish_reason, whole.usage
                self._complete = True
                if chunk := self._emit(whole.reasoning, whole.text):
                    yield chunk
                return
            provisional = REASONING_PROVISIONAL_CHARS if model.supports_reasoning else 0
            splitter = ThinkSplitter(provisional_limit=provisional)
            async for chunk in self._events(response, splitter, read_timeout):
                yield chunk
            if chunk := self._emit(*splitter.finish()):
                yield chunk
        finally:
            await response.aclose()

    async def _events(
        self, response: httpx.Response, splitter: ThinkSplitter, read_timeout: float
    ) -> AsyncIterator[StreamChunk]:
        label = provider_label(self._model.provider)
        try:
            with _translated(self._model, read_timeout):
                async for data in iter_sse_data(response.aiter_lines()):
                    if data.strip() == "[DONE]":
                        self._complete = True
                        return
                    reasoning, content = self._absorb(_loads(data.encode(), self._model))
                    if reasoning:
                        splitter.content_is_answer()
                    inline, text = splitter.feed(content)
                    if chunk := self._emit(reasoning + inline, text, restart=splitter.restarted):
                        yield chunk
        except ProviderError as exc:
            if not self._received:
                raise
            self._interruption = f"{exc} The partial reply was kept."
            return
        if self._finish_reason is not None:
            self._complete = True
        else:
            self._interruption = (
                f"The stream from {label} ended before the reply finished; the partial reply "
                "was kept."
            )

    def _absorb(self, payload: Any) -> tuple[str, str]:
        """(reasoning, content) deltas of one event; records finish_reason and usage."""
        if isinstance(payload, dict) and payload.get("error"):
            raise ProviderHTTPError(
                f"{provider_label(self._model.provider)} reported an error mid-stream: "
                f"{_error_detail(json.dumps(payload).encode(), self._credential)}"
            )
        usage = Usage.parse(payload.get("usage") if isinstance(payload, dict) else None)
        self._usage = usage or self._usage
        choice = _first_choice(payload)
        if isinstance(finish := choice.get("finish_reason"), str):
            self._finish_reason = finish
        delta = choice.get("delta")
        reasoning = _text_field(delta, "reasoning_content", "reasoning")
        content = _text_field(delta, "content")
        self._received = self._received or bool(reasoning or content)
        return reasoning, content


class JsonCompleter:
    """The routing protocol (core/routing/llm.py): one structured-output call within a budget.

    No retries: a routing call that is rate limited or failing falls back to the deterministic
    router rather than spending the user's wait."""

    def __init__(
        self,
        client: ProviderClient,
        model: ModelDefinition,
        credential: ResolvedCredential | None,
        *,
        schema_name: str = "chat_route",
        max_bytes: int = MAX_JSON_BYTES,
    ) -> None:
        self._client = client
        self.model = model
        self._credential = credential
        self._schema_name = schema_name
        self._max_bytes = max_bytes

    async def complete_json(
        self, messages: list[dict[str, str]], schema: dict[str, Any], timeout: float
    ) -> str:
        """The answer text (reasoning removed) of a strict json_schema request; `timeout` is the
        whole call's budget. The text is untrusted: the caller validates it."""
        body = self._client._body(self.model, messages, stream=False)
        body["temperature"] = 0
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": self._schema_name, "schema": schema, "strict": True},
        }
        try:
            async with asyncio.timeout(timeout):
                completion = await self._client._complete(
                    self.model,
                    self._credential,
                    body,
                    read_timeout=timeout,
                    retries=0,
                    max_bytes=self._max_bytes,
                )
        except TimeoutError:
            raise ProviderTimeout(
                f"{provider_label(self.model.provider)} did not answer within the routing "
                f"budget of {timeout:g}s."
            ) from None
        return completion.text
