"""The local engine's HTTP server: NanoGPT's completions endpoint on starlette and uvicorn.

Routes (each also under ``/api``, as NanoGPT serves them): ``POST /v1/completions`` and
``GET /v1/models`` (``?detailed=true`` adds name, context length, pricing and capabilities).
Beside them, as llama.cpp's server has them: ``POST /tokenize`` (``{"content"}`` to
``{"tokens": [ids]}``, or ``[{"id", "piece"}]`` with ``"with_pieces": true``) and
``POST /detokenize`` (``{"tokens"}`` to ``{"content"}``); both take an optional ``model``
(else the default local model).
Every response carries an ``X-Request-ID`` header. Before any route, `guard` refuses requests
from other sites (a foreign ``Host``, a body not declared JSON) and, when the engine has a key,
requests without it. NanoGPT's routing headers (``X-Provider``, ``X-Billing-Mode``) are accepted
and ignored.

Sampling runs in worker threads, one token per hop when streaming, so the event loop stays
free and a client that disconnects stops its generation at the next token. The default local
model (SmolLM2 when installed, else the n-gram model) starts loading (or building) as soon as
the server starts; requests wait for it.
"""

from __future__ import annotations

import errno
import json
import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Generator
from functools import partial
from itertools import islice
from typing import Any

import anyio.to_thread
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from playground.core.local_models import default_model
from playground.engine import wire
from playground.engine.generation import Generation, Step
from playground.engine.guard import Guard, GuardMiddleware
from playground.engine.store import ModelStore, ModelUnavailable, UnknownModel, listings
from playground.engine.text_model import TextModel

log = logging.getLogger(__name__)

#: Tokens generated per worker-thread hop when not streaming (disconnects are checked between).
BATCH = 64


class EngineState:
    """What the routes share: the model store and a count of running generations."""

    def __init__(self, store: ModelStore) -> None:
        self.store = store
        self.active_generations = 0
        self.started = int(time.time())

    async def model(self, model_id: str) -> TextModel:
        try:
            return await anyio.to_thread.run_sync(self.store.get, model_id)
        except UnknownModel as exc:  # a 400: the seed's only refusal on /v1/completions
            raise wire.RequestError(400, exc.message, "model_not_found", "model") from None
        except ModelUnavailable as exc:
            raise wire.RequestError(400, exc.message, "model_unavailable", "model") from None


def create_app(store: ModelStore | None = None, *, preload: bool = True,
               guard: Guard | None = None) -> Starlette:
    """The ASGI app. With `preload`, the default local model is loaded in the background now.
    `guard`: who may call it (by default, clients on loopback, no key)."""
    state = EngineState(store or ModelStore())
    if preload:
        threading.Thread(target=_preload, args=(state.store,), daemon=True).start()

    async def completions(request: Request) -> Response:
        try:
            return await complete(request)
        except (wire.RequestError, HTTPException):
            raise
        except Exception as exc:  # the seed documents 200 and 400 ("Unexpected error") only
            log.exception("completion failed")
            raise wire.RequestError(400, f"internal error: {exc}", "internal_error",
                                    kind="server_error") from exc

    async def complete(request: Request) -> Response:
        call = wire.parse_completion(wire.parse_body(await _read_body(request)))
        model = await state.model(call.model)
        wire.check_token_ids(call, model.tokenizer)
        generation = await anyio.to_thread.run_sync(Generation, model, call.generation)
        wire.check_context(len(generation.prompt_ids), call.generation.max_tokens,
                           model.context_length)
        reply = _Reply(state, call, model, generation, request.state.request_id)
        if call.stream:
            return StreamingResponse(reply.events(), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return JSONResponse(await reply.whole(request))

    async def models(request: Request) -> Response:
        detailed = request.query_params.get("detailed", "").lower() in ("1", "true", "yes")
        found = await anyio.to_thread.run_sync(listings)
        data = [wire.model_entry(listing, state.started, detailed=detailed)
                for listing in found]
        return JSONResponse({"object": "list", "data": data})

    async def tokenize(request: Request) -> Response:
        body = wire.parse_body(await _read_body(request))
        text = body.get("content", body.get("prompt"))
        if not isinstance(text, str):
            raise wire.RequestError(400, "content: a string is required", "invalid_type",
                                    "content")
        model = await state.model(_model_field(body))
        ids = model.tokenizer.encode(text)
        if body.get("with_pieces") is True:
            return JSONResponse({"tokens": [{"id": i, "piece": wire.token_piece(
                model.tokenizer, i)} for i in ids]})
        return JSONResponse({"tokens": ids})

    async def detokenize(request: Request) -> Response:
        body = wire.parse_body(await _read_body(request))
        ids = body.get("tokens")
        model = await state.model(_model_field(body))
        vocab = model.tokenizer.vocab_size
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < vocab for i in ids):
            raise wire.RequestError(400, f"tokens: a list of token ids from 0 to {vocab - 1} "
                                    "is required", "invalid_type", "tokens")
        return JSONResponse({"content": model.tokenizer.decode(ids)})

    routes = [route for prefix in ("", "/api") for route in (
        Route(f"{prefix}/v1/completions", completions, methods=["POST"]),
        Route(f"{prefix}/v1/models", models, methods=["GET"]))]
    # As llama.cpp's server has them, beside /v1; the window counts and looks up tokens here.
    routes += [Route("/tokenize", tokenize, methods=["POST"]),
               Route("/detokenize", detokenize, methods=["POST"])]
    guard = guard or Guard.for_address("127.0.0.1")
    app = Starlette(routes=routes, middleware=[Middleware(RequestIdMiddleware),
                                               Middleware(GuardMiddleware, guard=guard)],
                    exception_handlers={wire.RequestError: _request_error,
                                        HTTPException: _http_error, Exception: _crash})
    app.state.engine = state
    return app


async def _read_body(request: Request) -> bytes:
    """The body, refused past `wire.MAX_BODY_BYTES`. The rest of a body too large is still
    read (and dropped), so the client, still sending, gets the answer rather than a reset."""
    body = bytearray()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= wire.MAX_BODY_BYTES:
            body += chunk
    if size > wire.MAX_BODY_BYTES:
        raise wire.RequestError(400, f"the request body ({size} bytes) is larger than this "
                                     f"engine's limit of {wire.MAX_BODY_BYTES} bytes",
                                "request_too_large")
    return bytes(body)


def _model_field(body: dict[str, Any]) -> str:
    model = body.get("model", default_model())
    if not isinstance(model, str):
        raise wire.RequestError(400, "model: a string is required", "invalid_type", "model")
    return model


def _preload(store: ModelStore) -> None:
    """Load the model the window and the CLI use by default, so their first run need not."""
    try:
        store.get(default_model())
    except Exception:
        log.exception("loading the default model failed; requests will retry")


class _Reply:
    """Turns one generation into a streamed or a whole response."""

    def __init__(self, state: EngineState, call: wire.CompletionCall, model: TextModel,
                 generation: Generation, request_id: str) -> None:
        self.state = state
        self.call = call
        self.tokenizer = model.tokenizer
        self.generation = generation
        self.id = f"cmpl-{request_id}"
        self.created = int(time.time())

    def _choice(self, steps: list[Step], finish: str | None, *,
                prompt_logprobs: bool) -> dict[str, Any]:
        request = self.call.generation
        entries = [s.logprob for s in steps if s.logprob is not None]
        traces = [wire.trace_object(s.trace, self.tokenizer, self.call.trace_tokens)
                  for s in steps if s.trace]
        prompt = (wire.logprobs_object(self.generation.prompt_logprobs())
                  if prompt_logprobs else None)
        return wire.choice("".join(s.text for s in steps), finish_reason=finish,
                           logprobs=wire.logprobs_object(entries) if entries else None,
                           trace=traces if request.trace else None,
                           prompt_logprobs=prompt)

    def _object(self, the_choice: dict[str, Any], completion_tokens: int | None) -> dict[str, Any]:
        prompt_tokens = len(self.generation.prompt_ids)
        usage = None if completion_tokens is None else wire.usage(prompt_tokens,
                                                                  completion_tokens)
        return wire.completion(self.id, self.created, self.call.model, the_choice, usage)

    async def whole(self, request: Request) -> dict[str, Any]:
        steps: list[Step] = []
        iterator = self.generation.steps()
        self.state.active_generations += 1
        try:
            while not steps or steps[-1].finish_reason is None:
                batch = await anyio.to_thread.run_sync(_take, iterator, BATCH)
                steps.extend(batch)
                if await request.is_disconnected():
                    break
        finally:
            self.state.active_generations -= 1
            iterator.close()
        the_choice = await anyio.to_thread.run_sync(partial(
            self._choice, steps, steps[-1].finish_reason,
            prompt_logprobs=self.call.prompt_logprobs))
        return self._object(the_choice, len(steps))

    async def events(self) -> AsyncIterator[str]:
        iterator = self.generation.steps()
        self.state.active_generations += 1
        count = 0
        try:
            while True:
                count += 1
                step, the_choice = await anyio.to_thread.run_sync(self._next, iterator,
                                                                  count == 1)
                done = step.finish_reason is not None
                yield _frame(self._object(the_choice, count if done else None))
                if done:
                    break
        except Exception as exc:  # the stream has started: report in-band, then end it
            log.exception("generation failed")
            yield _frame({"error": {"message": str(exc), "type": "server_error",
                                    "code": "generation_failed"},
                          "choices": [wire.choice("", finish_reason="error")]})
        finally:
            self.state.active_generations -= 1
            iterator.close()
        yield "data: [DONE]\n\n"

    def _next(self, iterator: Generator[Step], first: bool) -> tuple[Step, dict[str, Any]]:
        step = next(iterator)
        return step, self._choice([step], step.finish_reason,
                                  prompt_logprobs=first and self.call.prompt_logprobs)


def _take(iterator: Generator[Step], n: int) -> list[Step]:
    return list(islice(iterator, n))


def _frame(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _error_response(error: wire.RequestError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


async def _request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, wire.RequestError)
    return _error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "invalid_request"
    return _error_response(wire.RequestError(exc.status_code, str(exc.detail), code))


async def _crash(request: Request, exc: Exception) -> Response:
    log.exception("request failed", exc_info=exc)
    return _error_response(wire.RequestError(500, f"internal error: {exc}", "internal_error"))


class RequestIdMiddleware:
    """Gives each request an id (``request.state.request_id``) and the ``X-Request-ID``
    response header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def serve(host: str, port: int, *, announce: Callable[[str], None], api_key: str | None = None,
          exit_on_stdin_eof: bool = False, any_port_if_busy: bool = False) -> None:
    """Bind, announce the base URL, and serve until interrupted (or stdin closes). With
    `any_port_if_busy`, a `port` something else holds gives way to any free port (the
    announced URL says which) instead of failing. With `api_key`, every request must carry
    it. Requests must name `host` (or the address it resolved to) in their Host header."""
    try:
        sock = _listen(host, port)
    except OSError as exc:
        if not any_port_if_busy or exc.errno != errno.EADDRINUSE:
            raise
        sock = _listen(host, 0)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    guard = Guard.for_address(host, api_key, also=bound_host)
    server = uvicorn.Server(uvicorn.Config(create_app(guard=guard), log_level="warning",
                                           timeout_graceful_shutdown=2))
    announce(f"http://{shown}:{bound_port}/v1")
    if exit_on_stdin_eof:
        threading.Thread(target=_exit_on_eof, args=(server,), daemon=True).start()
    server.run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket: binding and listening in one go, so that a port is either ours
    or refused here, never found busy by a later step."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _exit_on_eof(server: uvicorn.Server) -> None:
    """Ends the server when stdin reaches end-of-file: the parent process closed it or died."""
    while sys.stdin.buffer.read(4096):
        pass
    server.should_exit = True
