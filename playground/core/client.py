"""The async completions client on httpx: streaming events, plain completions, the model list.

One `CompletionClient` per connection, created once (building an `httpx.AsyncClient` costs tens
of milliseconds). The key is attached only to requests for the connection's own base URL, and
redirects are never followed, so it cannot leak to another host. A key is refused outright for
a plain-http base URL that is not loopback unless the client is built with
``allow_insecure_key=True`` (the person confirmed it).

``PLAYGROUND_READ_TIMEOUT`` (seconds) sets the default read timeout: the longest silence allowed
between two chunks of a response (default 120).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from playground.core.connections import insecure_key_message, key_needs_confirmation
from playground.core.errors import ApiError, InvalidParameter, StreamError, parse_error_body
from playground.core.request import CompletionRequest, completions_url
from playground.core.sse import SSEDecoder

#: Error bodies larger than this are cut before parsing.
MAX_ERROR_BODY = 64 * 1024
#: The longest stretch of frame decoding between two returns to the event loop.
SLICE_S = 0.001
#: The environment variable that sets the default read timeout, in seconds.
READ_TIMEOUT_ENV = "PLAYGROUND_READ_TIMEOUT"
DEFAULT_READ_TIMEOUT = 120.0


def default_read_timeout() -> float:
    """``$PLAYGROUND_READ_TIMEOUT`` when it is a positive number of seconds, else 120 (an
    unusable value is ignored: a typo in the environment must not stop the window)."""
    try:
        value = float(os.environ.get(READ_TIMEOUT_ENV, "").strip())
    except ValueError:
        return DEFAULT_READ_TIMEOUT
    return value if 0 < value < float("inf") else DEFAULT_READ_TIMEOUT


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    #: The longest silence allowed between two chunks; default from $PLAYGROUND_READ_TIMEOUT.
    read: float = field(default_factory=default_read_timeout)
    write: float = 30.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write,
                             pool=self.connect)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # cost and friends, as sent

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Usage:
        def count(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        known = ("prompt_tokens", "completion_tokens", "total_tokens")
        return cls(count(known[0]), count(known[1]), count(known[2]),
                   extra={k: v for k, v in data.items() if k not in known})

    def to_dict(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens, **self.extra}


@dataclass(frozen=True)
class StreamEvent:
    """One decoded chunk: new text and whatever else came with it."""

    text: str = ""
    logprobs: Mapping[str, Any] | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    #: Every other field of the chunk and its choice (id, model, cost, x_sampler_trace, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None  # the response's X-Request-ID


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str | None = None
    context_length: int | None = None
    max_output_tokens: int | None = None
    prompt_price: float | None = None  # USD per million tokens
    completion_price: float | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelInfo:
        pricing = data.get("pricing")
        if not isinstance(pricing, dict):
            pricing = {}
        caps = data.get("capabilities")
        return cls(id=str(data["id"]), name=_opt(data.get("name"), str),
                   context_length=_opt(data.get("context_length"), int),
                   max_output_tokens=_opt(data.get("max_output_tokens"), int),
                   prompt_price=_opt(pricing.get("prompt"), float),
                   completion_price=_opt(pricing.get("completion"), float),
                   capabilities=caps if isinstance(caps, dict) else {})

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "context_length": self.context_length,
                "max_output_tokens": self.max_output_tokens,
                "pricing": {"prompt": self.prompt_price, "completion": self.completion_price},
                "capabilities": dict(self.capabilities)}


def _opt(value: Any, kind: type) -> Any:
    try:
        return None if value is None or isinstance(value, bool) else kind(value)
    except (TypeError, ValueError):
        return None


class CompletionClient:
    """Talks to one server. Use as ``async with`` or call `aclose()`."""

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 timeouts: Timeouts | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 allow_insecure_key: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.allow_insecure_key = allow_insecure_key
        self._check_key(api_key)
        self._api_key = api_key
        self.timeouts = timeouts or Timeouts()
        self._http = httpx.AsyncClient(timeout=self.timeouts.httpx(), follow_redirects=False,
                                       transport=transport)

    def set_api_key(self, api_key: str | None) -> None:
        """Use `api_key` from now on. Raises `InvalidParameter` (keeping the old key) for a
        plain-http base URL that is not loopback, unless built with allow_insecure_key."""
        self._check_key(api_key)
        self._api_key = api_key

    def _check_key(self, api_key: str | None) -> None:
        if api_key and not self.allow_insecure_key and key_needs_confirmation(self.base_url):
            raise InvalidParameter("api_key", insecure_key_message(self.base_url))

    async def __aenter__(self) -> CompletionClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    async def stream(self, request: CompletionRequest) -> AsyncGenerator[StreamEvent, None]:
        """Yield events as they arrive. Raises `ApiError` before the first event for HTTP
        errors, `StreamError` for a broken stream (events already yielded stay valid)."""
        if not request.stream:
            raise ValueError("stream() needs a request with stream=True")
        url = completions_url(self.base_url)
        try:
            async with self._http.stream("POST", url, json=request.wire_body(),
                                         headers=request.headers(api_key=self._api_key)
                                         ) as response:
                await _raise_for_status(response)
                if not _is_event_stream(response):
                    async for event in _non_stream_fallback(response):
                        yield event
                    return
                async for event in _events(response):
                    yield event
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc

    async def complete(self, request: CompletionRequest) -> StreamEvent:
        """A non-streaming completion: one event holding the whole text."""
        if request.stream:
            raise ValueError("complete() needs a request with stream=False")
        url = completions_url(self.base_url)
        try:
            response = await self._http.post(url, json=request.wire_body(),
                                             headers=request.headers(api_key=self._api_key))
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc
        await _raise_for_status(response)
        data = _json_object(response.content, response)
        events = _chunk_events(data, response.headers.get("x-request-id"))
        if not events:
            raise StreamError(response.status_code, "the response holds no choices",
                              request_id=response.headers.get("x-request-id"))
        return events[0]

    async def models(self) -> list[ModelInfo]:
        url = self.base_url + "/models"
        try:
            response = await self._http.get(url, params={"detailed": "true"},
                                            headers=self._auth())
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc
        await _raise_for_status(response)
        data = _json_object(response.content, response)
        items = data.get("data")
        if not isinstance(items, list):
            raise ApiError(response.status_code, "the model list has no 'data' array")
        return [ModelInfo.from_json(item) for item in items
                if isinstance(item, dict) and "id" in item]


    async def tokenize(self, text: str, model: str | None = None) -> list[tuple[int, str]]:
        """(id, text) of each token of `text`, from a server with llama.cpp's ``/tokenize``
        beside ``/v1`` (the local engine and llama.cpp have it; most servers do not)."""
        body: dict[str, Any] = {"content": text, "with_pieces": True}
        if model:
            body["model"] = model
        data = await self._post_json(self.base_url.removesuffix("/v1") + "/tokenize", body)
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list):
            raise ApiError(200, "the tokenize answer has no 'tokens' list")
        return [(int(t["id"]), str(t.get("piece", ""))) if isinstance(t, dict) else (int(t), "")
                for t in tokens]

    async def _post_json(self, url: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(url, json=body, headers=self._auth())
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc
        await _raise_for_status(response)
        return _json_any(response.content, response)

    async def providers(self, model: str) -> list[str]:
        """Provider ids that can serve `model` (NanoGPT: ``GET /api/models/{id}/providers``,
        beside the ``/api/v1`` base). Empty when the model does not support selection."""
        root = self.base_url.removesuffix("/v1")
        url = f"{root}/models/{quote(model, safe='')}/providers"
        try:
            response = await self._http.get(url, headers=self._auth())
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc
        await _raise_for_status(response)
        return provider_ids(_json_any(response.content, response))


def provider_ids(data: Any) -> list[str]:
    """Provider ids from a providers answer, read leniently: a list, or an object holding
    ``providers`` (or ``data``); each entry an id string or an object with an id-like key."""
    if isinstance(data, dict):
        if data.get("supportsProviderSelection") is False:
            return []
        data = data.get("providers", data.get("data", []))
    out: list[str] = []
    for entry in data if isinstance(data, list) else []:
        if isinstance(entry, dict):
            entry = next((entry[k] for k in ("provider", "id", "providerId", "name")
                          if isinstance(entry.get(k), str)), None)
        if isinstance(entry, str) and entry and entry not in out:
            out.append(entry)
    return out


async def _raise_for_status(response: httpx.Response) -> None:
    if response.is_success:
        return
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    raise parse_error_body(response.status_code, body[:MAX_ERROR_BODY], response.headers)


def _is_event_stream(response: httpx.Response) -> bool:
    return str(response.headers.get("content-type", "")).startswith("text/event-stream")


async def _non_stream_fallback(response: httpx.Response) -> AsyncIterator[StreamEvent]:
    """Some servers ignore ``stream: true`` and answer with one JSON object; accept that."""
    body = await response.aread()
    content_type = response.headers.get("content-type", "(none)")
    if "json" not in content_type:
        raise StreamError(response.status_code,
                          f"expected an event stream, got content type {content_type}",
                          request_id=response.headers.get("x-request-id"))
    for event in _chunk_events(_json_object(body, response),
                               response.headers.get("x-request-id")):
        yield event


def _json_any(body: bytes, response: httpx.Response) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise StreamError(response.status_code, f"the response is not JSON: {body[:200]!r}",
                          request_id=response.headers.get("x-request-id")) from None


def _json_object(body: bytes, response: httpx.Response) -> dict[str, Any]:
    data = _json_any(body, response)
    if not isinstance(data, dict):
        raise StreamError(response.status_code, "the response is not a JSON object")
    return data


async def _events(response: httpx.Response) -> AsyncIterator[StreamEvent]:
    decoder = SSEDecoder()
    done = False
    request_id = response.headers.get("x-request-id")
    received = 0
    async for chunk in response.aiter_bytes():
        slice_end = time.perf_counter() + SLICE_S
        for message in decoder.feed(chunk):
            if time.perf_counter() > slice_end:
                # A fast server fills a 64 KiB read with hundreds of frames: let the event loop
                # (the window) run between slices of them rather than after all of them.
                await asyncio.sleep(0)
                slice_end = time.perf_counter() + SLICE_S
            if done:
                continue  # drain to the end so the connection closes cleanly
            if message.data.strip() == "[DONE]":
                done = True
                continue
            for event in _chunk_events(_frame(message.data, response, request_id),
                                       request_id):
                received += len(event.text)
                yield event
    for message in decoder.close():
        if message.data.strip() == "[DONE]":
            done = True
        elif not done:
            for event in _chunk_events(_frame(message.data, response, request_id),
                                       request_id):
                received += len(event.text)
                yield event
    if not done:
        raise StreamError(response.status_code,
                          f"the stream ended without [DONE] after {received} characters",
                          code="incomplete_stream", request_id=request_id)


def _frame(data: str, response: httpx.Response, request_id: str | None) -> dict[str, Any]:
    status = response.status_code
    try:
        frame = _decode_json(data)
    except ValueError:
        raise StreamError(status, f"malformed frame: {data[:200]!r}",
                          code="malformed_frame", request_id=request_id) from None
    if not isinstance(frame, dict):
        raise StreamError(status, f"malformed frame: {data[:200]!r}",
                          code="malformed_frame", request_id=request_id)
    if frame.get("error") is not None:
        error = parse_error_body(status, json.dumps(frame), response.headers)
        raise StreamError(error.status, error.message, code=error.code, type=error.type,
                          param=error.param, request_id=request_id)
    return frame


_decode_json = json.JSONDecoder().decode
_NOT_TOP = frozenset(("choices", "usage"))
_NOT_EXTRA = frozenset(("text", "delta", "message", "logprobs", "finish_reason"))


def _chunk_events(frame: Mapping[str, Any], request_id: str | None) -> list[StreamEvent]:
    """A completion chunk (or whole completion) as events, one per choice."""
    usage_data = frame.get("usage")
    usage = Usage.from_json(usage_data) if isinstance(usage_data, dict) else None
    top = {k: v for k, v in frame.items() if k not in _NOT_TOP}
    choices = frame.get("choices")
    if not isinstance(choices, list) or not choices:
        return [StreamEvent(usage=usage, extra=top, request_id=request_id)] if usage else []
    events = []
    for choice in choices:
        if not isinstance(choice, dict):
            continue
        text = choice.get("text")
        if not isinstance(text, str):
            delta = choice.get("delta")
            content = delta.get("content") if isinstance(delta, dict) else None
            message = choice.get("message")
            if not isinstance(content, str) and isinstance(message, dict):
                content = message.get("content")
            text = content if isinstance(content, str) else ""
        finish = choice.get("finish_reason")
        if finish == "error":
            raise StreamError(0, str(choice.get("error") or "the server reported an error"),
                              code="stream_error")
        extra = top.copy()
        extra.update((k, v) for k, v in choice.items() if k not in _NOT_EXTRA)
        logprobs = choice.get("logprobs")
        events.append(StreamEvent(text=text, logprobs=logprobs if isinstance(logprobs, dict)
                                  else None, finish_reason=finish if isinstance(finish, str)
                                  else None, usage=usage, extra=extra,
                                  request_id=request_id))
    return events


def _network_error(exc: httpx.TransportError, url: str) -> ApiError:
    host = httpx.URL(url).host
    if isinstance(exc, httpx.ConnectError):
        return ApiError(0, f"could not connect to {host}: {exc or 'connection refused'}",
                        code="connect_error")
    if isinstance(exc, httpx.ReadTimeout):
        return StreamError(0, f"no data from {host} within the read timeout",
                           code="read_timeout")
    if isinstance(exc, httpx.TimeoutException):
        return ApiError(0, f"timed out talking to {host}", code="timeout")
    if isinstance(exc, httpx.RemoteProtocolError):
        return StreamError(0, f"the connection to {host} dropped mid-response ({exc})",
                           code="connection_dropped")
    return ApiError(0, f"network error talking to {host}: {exc}", code="network_error")
