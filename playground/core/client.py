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
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from playground.core.connections import insecure_key_message, key_needs_confirmation
from playground.core.errors import ApiError, InvalidParameter, StreamError, parse_error_body
from playground.core.request import CompletionRequest, completions_url
from playground.core.sse import SSEDecoder, SSEMessage

#: Error bodies larger than this are cut before parsing.
MAX_ERROR_BODY = 64 * 1024
#: The longest stretch of frame decoding between two returns to the event loop.
SLICE_S = 0.001
#: How much of a network read the event-stream decoder takes at once (see `_messages`).
FEED_BYTES = 16 * 1024
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
    #: How many frames' text (empty ones aside) `text` joins: a stream's plain text frames
    #: arrive merged.
    pieces: int = 1


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str | None = None
    context_length: int | None = None
    max_output_tokens: int | None = None
    prompt_price: float | None = None  # USD per million tokens
    completion_price: float | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    #: Its own chat template (Jinja), where the list carries it (the local engine's does).
    chat_template: str | None = None

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
                   capabilities=caps if isinstance(caps, dict) else {},
                   chat_template=_opt(data.get("chat_template"), str))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "context_length": self.context_length,
                "max_output_tokens": self.max_output_tokens,
                "pricing": {"prompt": self.prompt_price, "completion": self.completion_price},
                "capabilities": dict(self.capabilities),
                **({"chat_template": self.chat_template} if self.chat_template else {})}


def _opt(value: Any, kind: type) -> Any:
    try:
        return None if value is None or isinstance(value, bool) else kind(value)
    except (TypeError, ValueError):
        return None


#: The most distinct tokens whose texts a koboldcpp prompt's token view looks up one by one.
KOBOLD_LOOKUPS = 2000


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
        beside ``/v1`` (the local engine and llama.cpp have it; most servers do not). Part of
        a character shows as ``bytes:\\x..``."""
        return [(token, _piece_text(piece)) for token, piece in await self.token_pieces(
            text, model)]

    async def token_pieces(self, text: str, model: str | None = None
                           ) -> list[tuple[int, bytes]]:
        """(id, bytes) of each token of `text` (as `tokenize`): the bytes add up to the text's
        UTF-8, so each token's place in the text is known."""
        body: dict[str, Any] = {"content": text, "with_pieces": True}
        if model:
            body["model"] = model
        data = await self._post_json(self.base_url.removesuffix("/v1") + "/tokenize", body)
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list):
            raise ApiError(200, "the tokenize answer has no 'tokens' list")
        try:
            return [(int(t["id"]), _piece_bytes(t.get("piece", ""))) if isinstance(t, dict)
                    else (int(t), b"") for t in tokens]
        except (KeyError, TypeError, ValueError):
            raise ApiError(200, "the tokenize answer has a token without an id or with a "
                           "piece that is neither text nor bytes") from None

    async def _post_json(self, url: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(url, json=body, headers=self._auth())
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc
        await _raise_for_status(response)
        return _json_any(response.content, response)

    async def kobold_token_ids(self, text: str) -> list[int]:
        """`text`'s token ids from koboldcpp's ``/api/extra/tokencount`` (beside ``/v1``): ids
        only, without the tokens' texts."""
        data = await self._post_json(self.base_url.removesuffix("/v1") + "/api/extra/tokencount",
                                     {"prompt": text})
        ids = data.get("ids") if isinstance(data, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise ApiError(200, "the tokencount answer has no 'ids' list")
        return ids

    async def kobold_token_pieces(self, text: str, *, most: int = KOBOLD_LOOKUPS
                                  ) -> tuple[list[int], list[tuple[int, bytes]] | None]:
        """`text`'s token ids from koboldcpp, and each token's text, looked up one distinct id
        at a time through ``/api/extra/detokenize`` (a few at once). No texts (None) when the
        prompt has more than `most` distinct tokens. Whether the texts add up to the prompt is
        the caller's to check (`token_spans.exact_spans`): a tokenizer that writes a token
        differently on its own (SentencePiece's leading space) does not."""
        ids = await self.kobold_token_ids(text)
        distinct = sorted(set(ids))
        if len(distinct) > most:
            return ids, None
        url = self.base_url.removesuffix("/v1") + "/api/extra/detokenize"
        gate = asyncio.Semaphore(8)

        async def piece(token: int) -> str:
            async with gate:
                data = await self._post_json(url, {"ids": [token]})
            result = data.get("result") if isinstance(data, dict) else None
            if not isinstance(result, str):
                raise ApiError(200, "the detokenize answer has no 'result' text")
            return result

        texts = dict(zip(distinct, await asyncio.gather(*map(piece, distinct)), strict=True))
        return ids, [(token, texts[token].encode("utf-8", "surrogatepass")) for token in ids]

    async def chat_template(self) -> tuple[str, str, str] | None:
        """The served model's chat template with its start- and end-of-text tokens, from
        llama.cpp's ``GET /props`` beside ``/v1`` (None: it has none)."""
        url = self.base_url.removesuffix("/v1") + "/props"
        try:
            response = await self._http.get(url, headers=self._auth())
        except httpx.TransportError as exc:
            raise _network_error(exc, url) from exc
        await _raise_for_status(response)
        data = _json_any(response.content, response)
        source = data.get("chat_template") if isinstance(data, dict) else None
        if not isinstance(source, str) or not source.strip():
            return None
        return (source, str(data.get("bos_token") or ""), str(data.get("eos_token") or ""))

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


def _piece_bytes(piece: Any) -> bytes:
    """A token's piece as llama.cpp writes it: text, or a list of byte values."""
    if isinstance(piece, str):
        return piece.encode("utf-8")
    if isinstance(piece, list):
        return bytes(piece)
    raise TypeError(piece)


def _piece_text(piece: bytes) -> str:
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes:" + "".join(f"\\x{b:02x}" for b in piece)


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
    """The events of an event stream, plain text merged per network read (see `_Events`)."""
    done = False
    events = _Events(response)
    _Slices.reading += 1
    slice_end = time.perf_counter() + _Slices.length()
    try:
        async for messages in _messages(response):
            for message in messages:
                if time.perf_counter() > slice_end:
                    # A fast server fills a 64 KiB read with hundreds of frames: let the event
                    # loop (the window) run between slices of them rather than after all.
                    for event in events.flush():
                        yield event
                    await asyncio.sleep(0)
                    slice_end = time.perf_counter() + _Slices.length()
                if done:
                    continue  # drain to the end so the connection closes cleanly
                if message.data.strip() == "[DONE]":
                    done = True
                    continue
                for event in events.add(message.data):
                    yield event
            for event in events.flush():  # never hold text back while waiting for the network
                yield event
    except StreamError:
        for event in events.flush():  # the text before a broken frame comes before the error
            yield event
        raise
    finally:
        _Slices.reading -= 1
    if not done:
        raise StreamError(response.status_code, "the stream ended without [DONE] after "
                          f"{events.received} characters", code="incomplete_stream",
                          request_id=events.request_id)


class _Slices:
    """Streams read at the same time share SLICE_S: a slice is SLICE_S over their number, so
    that eight streams (the compare window's columns), all with frames waiting, hold the event
    loop no longer than one stream does."""

    reading = 0  # event streams being read

    @classmethod
    def length(cls) -> float:
        return SLICE_S / max(1, cls.reading)


async def _messages(response: httpx.Response) -> AsyncIterator[list[SSEMessage]]:
    """The messages of each network read, decoded a piece at a time (decoding a whole 64 KiB
    read takes a millisecond or two, longer than a slice), then those the end completes."""
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for start in range(0, len(chunk), FEED_BYTES):
            yield decoder.feed(chunk[start:start + FEED_BYTES])
    yield decoder.close()


class _Events:
    """Frames in, events out. A run of frames that carry nothing but text (`_plain_text`) and
    agree on everything else (id, model, index, ...) is held and handed over as one event by
    `flush`: an event per frame costs more than reading the frame.

    The run's frames after the first are not parsed: a frame whose JSON equals the first one's
    around the text string (`_template`) is that frame with another text, so decoding the
    string is enough."""

    def __init__(self, response: httpx.Response) -> None:
        self.request_id: str | None = response.headers.get("x-request-id")
        self.received = 0  # characters handed over
        self._response = response
        self._texts: list[str] = []  # the run's texts
        self._extra: dict[str, Any] = {}  # the run's event's extra
        self._prefix = "\0"  # the run's template (`_template`); matches no frame
        self._suffix = ""

    def add(self, data: str) -> Sequence[StreamEvent]:
        """The events ready after frame `data`: none while a run is held."""
        if data.startswith(self._prefix):
            try:
                text, end = _scan_string(data, len(self._prefix))
            except ValueError:
                pass
            else:
                if data[end:] == self._suffix:
                    self._texts.append(text)
                    return _NONE
        frame = _frame(data, self._response, self.request_id)
        text = _plain_text(frame)
        if text is None:
            events = _chunk_events(frame, self.request_id)  # may raise: hold text till then
            self.received += sum(len(event.text) for event in events)
            return [*self.flush(), *events]
        ready = self.flush()
        self._texts.append(text)
        choice = frame["choices"][0]
        self._extra = _extra(frame, choice)
        self._prefix, self._suffix = _template(data, text) or ("\0", "")
        return ready

    def flush(self) -> Sequence[StreamEvent]:
        """The run held as one event (none if nothing is held); the next frame starts a run."""
        self._prefix = "\0"
        if not self._texts:
            return _NONE
        event = StreamEvent(text="".join(self._texts), extra=self._extra,
                            request_id=self.request_id,
                            pieces=len(self._texts) - self._texts.count(""))
        self._texts = []
        self.received += len(event.text)
        return (event,)


_NONE: tuple[StreamEvent, ...] = ()
_scan_string = json.decoder.scanstring  # type: ignore[attr-defined]
#: Where the string holding a frame's text may start.
_TEXT_KEY = re.compile(r'"(?:text|content)"\s*:\s*"')


def _template(data: str, text: str) -> tuple[str, str] | None:
    """Plain frame `data` cut around the string that holds its `text`: (everything up to the
    string's opening quote, everything after its closing quote). The cut is checked by putting
    another text there: if that parses as the frame's text, so does any other string."""
    for key in _TEXT_KEY.finditer(data):
        start = key.end()
        try:
            _, end = _scan_string(data, start)
            probe = text + "."
            other = _decode_json(data[:start] + json.dumps(probe)[1:] + data[end:])
        except ValueError:
            continue
        if isinstance(other, dict) and _plain_text(other) == probe:
            return data[:start], data[end:]
    return None


#: The fields a frame may have and still be merged with its neighbours (`_plain_text`).
_PLAIN_TOP = frozenset(("id", "object", "created", "model", "system_fingerprint", "usage",
                        "choices"))
_PLAIN_CHOICE = frozenset(("index", "text", "delta", "logprobs", "finish_reason"))


def _plain_text(frame: dict[str, Any]) -> str | None:
    """The text of a frame that carries nothing else: one choice, no finish reason, logprobs
    or usage, and no fields but the usual ones. None for any other frame."""
    choices = frame.get("choices")
    if (type(choices) is not list or len(choices) != 1 or not frame.keys() <= _PLAIN_TOP
            or frame.get("usage") is not None):
        return None
    choice = choices[0]
    if (type(choice) is not dict or not choice.keys() <= _PLAIN_CHOICE
            or choice.get("finish_reason") is not None or choice.get("logprobs") is not None):
        return None
    text = choice.get("text")
    if type(text) is str:
        return text
    delta = choice.get("delta")
    content = delta.get("content") if type(delta) is dict else None
    return content if type(content) is str else None


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
    choices = frame.get("choices")
    if not isinstance(choices, list) or not choices:
        top = {k: v for k, v in frame.items() if k not in _NOT_TOP}
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
        extra = _extra(frame, choice)
        logprobs = choice.get("logprobs")
        events.append(StreamEvent(text=text, logprobs=logprobs if isinstance(logprobs, dict)
                                  else None, finish_reason=finish if isinstance(finish, str)
                                  else None, usage=usage, extra=extra,
                                  request_id=request_id))
    return events


def _extra(frame: Mapping[str, Any], choice: Mapping[str, Any]) -> dict[str, Any]:
    """A choice's event's `extra`: the other fields of the frame and of the choice."""
    extra = {k: v for k, v in frame.items() if k not in _NOT_TOP}
    extra.update((k, v) for k, v in choice.items() if k not in _NOT_EXTRA)
    return extra


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
