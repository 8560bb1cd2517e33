"""A small misbehaving HTTP server on 127.0.0.1 for fault tests.

It speaks just enough HTTP/1.1 to be a real peer, then does what the scenario in the URL says:
``http://127.0.0.1:PORT/<scenario>/v1/completions``. It runs its own asyncio loop in a thread, so
async tests, sync tests and CLI subprocesses can all use it. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

TOKENS = ["Hello", ",", " wor", "ld", "!"]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


Writer = asyncio.StreamWriter
Scenario = Callable[[Writer, Recorded], Awaitable[None]]


def chunk(text: str, finish: str | None = None, **extra: object) -> bytes:
    frame = {"id": "cmpl-1", "object": "text_completion", "model": "m",
             "choices": [{"index": 0, "text": text, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(frame)}\n\n".encode()


def head(status: int = 200, content_type: str = "text/event-stream",
         extra: dict[str, str] | None = None, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}",
             "X-Request-ID: req-123", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def ok_stream(w: Writer, r: Recorded) -> None:
    w.write(head())
    for i, token in enumerate(TOKENS):
        last = i == len(TOKENS) - 1
        w.write(chunk(token, "stop" if last else None,
                      **({"usage": {"prompt_tokens": 3, "completion_tokens": 5,
                                    "total_tokens": 8, "cost": 0.0001}} if last else {})))
        await w.drain()
    w.write(b"data: [DONE]\n\n")


async def crlf_comments(w: Writer, r: Recorded) -> None:
    w.write(head())
    w.write(b": keep-alive\r\n\r\n")
    for token in TOKENS:
        w.write(chunk(token).replace(b"\n\n", b"\r\n\r\n"))
    # One frame split over two data: lines, with a chat-style delta instead of text.
    w.write(b'data: {"choices": [{"delta": {"content": "+"},\r\n'
            b'data:  "index": 0}]}\r\n\r\n')
    w.write(b"data: [DONE]\r\n\r\n")


def error(status: int, body: object, extra: dict[str, str] | None = None) -> Scenario:
    async def scenario(w: Writer, r: Recorded) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        w.write(head(status, "application/json", extra, len(data)) + data)
    return scenario


#: Tries seen per request body by the "flaky" scenario (bodies differ in prompt or seed).
_TRIES: dict[bytes, int] = {}


async def flaky(w: Writer, r: Recorded) -> None:
    """A busy server, as a sweep meets one: by the request's seed, the first try is answered
    429 (Retry-After 0, seeds divisible by 2), 503 (by 3), or the stream drops (by 5); later
    tries, and other seeds, stream as "ok" does. Seed 7 is always answered 500."""
    seed = json.loads(r.body).get("seed", 0)
    tries = _TRIES[r.body] = _TRIES.get(r.body, 0) + 1
    if seed == 7:
        await error(500, {"error": {"message": "The sampler crashed", "code": None}})(w, r)
    elif tries == 1 and seed % 2 == 0:
        await error(429, {"error": {"message": "Slow down", "code": "rate_limit_error"}},
                    {"Retry-After": "0"})(w, r)
    elif tries == 1 and seed % 3 == 0:
        await error(503, {"error": {"message": "Service unavailable", "code": None}})(w, r)
    elif tries == 1 and seed % 5 == 0:
        await drop_mid_stream(w, r)
    else:
        await ok_stream(w, r)


async def drop_mid_stream(w: Writer, r: Recorded) -> None:
    w.write(head(extra={"Transfer-Encoding": "chunked"}).replace(b"Connection: close\r\n", b""))
    for token in TOKENS[:2]:
        data = chunk(token)
        w.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await w.drain()
    w.transport.abort()  # no terminating chunk: the peer sees a broken body


async def malformed_frame(w: Writer, r: Recorded) -> None:
    w.write(head() + chunk("Hel") + b"data: {not json\n\n" + b"data: [DONE]\n\n")


async def no_done(w: Writer, r: Recorded) -> None:
    w.write(head() + chunk("Hel") + chunk("lo"))


async def error_frame(w: Writer, r: Recorded) -> None:
    w.write(head() + chunk("Hel"))
    frame = {"error": {"message": "upstream provider failed", "type": "server_error",
                       "code": "upstream_error"},
             "choices": [{"index": 0, "text": "", "finish_reason": "error"}]}
    w.write(f"data: {json.dumps(frame)}\n\n".encode())


#: The texts of the `plain` scenario's frames (sent in one write, so they arrive together).
PLAIN_TOKENS = [f" w{i}" for i in range(300)]
#: How many plain frames `dropafter` and `malformedafter` send before they break.
BREAK_AFTER = 50


async def plain_frames(w: Writer, r: Recorded) -> None:
    w.write(head() + b"".join(chunk(text) for text in PLAIN_TOKENS) + chunk("", "stop")
            + b"data: [DONE]\n\n")


def choice_frame(choice: dict[str, object], **top: object) -> bytes:
    frame = {"id": "cmpl-1", "object": "text_completion", "model": "m",
             "choices": [{"index": 0, "finish_reason": None, **choice}], **top}
    return f"data: {json.dumps(frame)}\n\n".encode()


#: The `mixed` scenario: plain frames around frames that must arrive on their own.
MIXED = [
    choice_frame({"text": "A"}), choice_frame({"text": "B"}),
    choice_frame({"text": "C", "logprobs": {"tokens": ["C"], "token_logprobs": [-0.5]}}),
    choice_frame({"text": "D"}),
    choice_frame({"text": "E", "x_sampler_trace": [{"chosen": {"id": 5, "text": "E"}}]}),
    choice_frame({"text": "F"}), choice_frame({"text": "G"}),
    choice_frame({"text": "H"}, id="cmpl-2"),
    choice_frame({"text": "I", "finish_reason": "length"},
                 usage={"prompt_tokens": 1, "completion_tokens": 9, "total_tokens": 10}),
]


async def mixed_frames(w: Writer, r: Recorded) -> None:
    w.write(head() + b"".join(MIXED) + b"data: [DONE]\n\n")


async def drop_after_plain_frames(w: Writer, r: Recorded) -> None:
    w.write(head(extra={"Transfer-Encoding": "chunked"}).replace(b"Connection: close\r\n", b""))
    data = b"".join(chunk(f"t{i} ") for i in range(BREAK_AFTER))
    w.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await w.drain()
    w.transport.abort()


async def malformed_after_plain_frames(w: Writer, r: Recorded) -> None:
    w.write(head() + b"".join(chunk(f"t{i} ") for i in range(BREAK_AFTER))
            + b"data: {not json\n\n" + b"data: [DONE]\n\n")


async def wrong_content_type(w: Writer, r: Recorded) -> None:
    body = b"<html>hello</html>"
    w.write(head(200, "text/html", length=len(body)) + body)


async def json_instead_of_stream(w: Writer, r: Recorded) -> None:
    body = json.dumps({"id": "x", "object": "text_completion", "choices": [
        {"index": 0, "text": "whole", "finish_reason": "length"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
    w.write(head(200, "application/json", length=len(body)) + body)


async def stall(w: Writer, r: Recorded) -> None:
    w.write(head() + chunk("Hel"))
    await w.drain()
    await asyncio.sleep(5)


#: The text of the `big` scenario's one frame: a little over 1 MB of words, one paragraph.
BIG_TEXT = ("lorem ipsum dolor sit amet " * 40_000)[:1_048_576] + "END"
#: What the `drip` scenario sends after its head, one byte every `DRIP_DELAY` seconds.
DRIP_BODY = b'data:{"choices":[{"text":"drip"}]}\n\ndata:[DONE]\n\n'
DRIP_DELAY = 0.1


async def big_frame(w: Writer, r: Recorded) -> None:
    """One 1 MB frame, then a normal end."""
    w.write(head())
    w.write(chunk(BIG_TEXT))
    await w.drain()
    w.write(chunk("!", "stop") + b"data: [DONE]\n\n")


async def drip(w: Writer, r: Recorded) -> None:
    """A short, valid stream, one byte at a time (every byte arrives within any sane read
    timeout, the whole takes ~5 s)."""
    w.write(head())
    await w.drain()
    for i in range(len(DRIP_BODY)):
        w.write(DRIP_BODY[i:i + 1])
        await w.drain()
        await asyncio.sleep(DRIP_DELAY)


HTML_403 = (b"<html><head><title>403 Forbidden</title></head>\n<body><h1>Forbidden</h1>"
            b"<p>You don't have permission to access this resource.</p></body></html>")


def raw_error(status: int, content_type: str, body: bytes) -> Scenario:
    async def scenario(w: Writer, r: Recorded) -> None:
        w.write(head(status, content_type, length=len(body)) + body)
    return scenario


#: a/model's own chat template: ChatML-like turns, with a system turn of its own.
CHAT_TEMPLATE = ("{% for m in messages %}{{ '<|start|>' + m['role'] + '\n' + m['content'] "
                 "+ '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}"
                 "{{ '<|start|>assistant\n' }}{% endif %}")


async def models(w: Writer, r: Recorded) -> None:
    body = json.dumps({"object": "list", "data": [
        {"id": "a/model", "name": "A", "context_length": 8192, "max_output_tokens": 1024,
         "pricing": {"prompt": 0.5, "completion": 1.5}, "capabilities": {"vision": False},
         "chat_template": CHAT_TEMPLATE},
        {"id": "b/model"}]}).encode()
    w.write(head(200, "application/json", length=len(body)) + body)


async def providers(w: Writer, r: Recorded) -> None:
    body = json.dumps({"canonicalId": "a/model", "supportsProviderSelection": True,
                       "providers": [{"provider": "novita", "pricing": {"prompt": 1}},
                                     {"provider": "deepinfra"}, "together"]}).encode()
    w.write(head(200, "application/json", length=len(body)) + body)


@dataclass(frozen=True)
class Answer:
    """What an imitated server sends for one path: JSON, or a str sent as plain text; a
    callable body answers from the request's JSON."""

    body: object
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


#: The imitated koboldcpp's vocabulary: a token per word with its leading spaces, made as met.
KOBOLD_WORDS: list[str] = []


def _kobold_count(prompt: str) -> dict[str, object]:
    ids = []
    for word in re.findall(r"\s*\S+|\s+", prompt):
        if word not in KOBOLD_WORDS:
            KOBOLD_WORDS.append(word)
        ids.append(KOBOLD_WORDS.index(word))
    return {"value": len(ids), "ids": ids}


def _models_list(*entries: dict[str, object]) -> Answer:
    return Answer({"object": "list", "data": list(entries)})


#: Imitations of real servers' answers (shapes as in their sources), by scenario: the path
#: below ``/<scenario>`` (query left out) to its answer; any other path answers 404.
IMITATIONS: dict[str, dict[str, Answer]] = {
    "llamacpp": {
        "/v1/models": _models_list({
            "id": "qwen2.5-0.5b-instruct-q4_k_m.gguf", "object": "model", "created": 1,
            "owned_by": "llamacpp", "meta": {"vocab_type": 2, "n_vocab": 151936,
                                             "n_ctx_train": 32768, "n_params": 494032768}}),
        "/props": Answer({"default_generation_settings": {"n_ctx": 4096}, "total_slots": 1,
                          "build_info": "b5000-0123abcd",
                          "chat_template": "{{ bos_token }}" + CHAT_TEMPLATE,
                          "bos_token": "<s>", "eos_token": "</s>"}),
    },
    "vllm": {
        "/v1/models": Answer({"object": "list", "data": [{
            "id": "Qwen/Qwen2.5-0.5B", "object": "model", "created": 1, "owned_by": "vllm",
            "root": "Qwen/Qwen2.5-0.5B", "parent": None, "max_model_len": 32768,
            "permission": []}]}, headers={"Server": "uvicorn"}),
    },
    "ollama": {
        "/v1/models": _models_list({"id": "llama3.2:latest", "object": "model",
                                    "created": 1, "owned_by": "library"}),
        "/": Answer("Ollama is running"),
    },
    # Ollama with only a model from someone's namespace: owned_by names that someone.
    "ollamauser": {
        "/v1/models": _models_list({"id": "someone/tiny:latest", "object": "model",
                                    "created": 1, "owned_by": "someone"}),
        "/": Answer("Ollama is running"),
    },
    "koboldcpp": {
        "/v1/models": Answer({"object": "list", "data": [{
            "id": "koboldcpp/tiny", "object": "model", "created": 1, "owned_by": "koboldcpp",
            "permission": [], "root": "koboldcpp"}]},
            headers={"Server": "KoboldCppServer 1"}),
        "/api/extra/version": Answer({"result": "KoboldCpp", "version": "1.80"}),
        "/api/extra/tokencount": Answer(lambda body: _kobold_count(body["prompt"])),
        "/api/extra/detokenize": Answer(lambda body: {
            "result": "".join(KOBOLD_WORDS[i] for i in body["ids"]), "success": True}),
    },
    # koboldcpp on a SentencePiece model: a token written on its own loses its leading space.
    "koboldsp": {
        "/api/extra/tokencount": Answer(lambda body: _kobold_count(body["prompt"])),
        "/api/extra/detokenize": Answer(lambda body: {"result": "".join(
            KOBOLD_WORDS[i] for i in body["ids"]).lstrip(), "success": True}),
    },
    # koboldcpp behind a proxy that rewrote its list; it still imitates llama.cpp's /props.
    "koboldproxied": {
        "/v1/models": _models_list({"id": "tiny", "object": "model", "owned_by": "openai"}),
        "/api/extra/version": Answer({"result": "KoboldCpp", "version": "1.80"}),
        "/props": Answer({"default_generation_settings": {"n_ctx": 4096}}),
    },
    "textgen": {
        "/v1/models": _models_list({"id": "Qwen2.5-0.5B", "object": "model", "created": 0,
                                    "owned_by": "user"}),
        "/v1/internal/model/info": Answer({"model_name": "Qwen2.5-0.5B", "lora_names": [],
                                           "loader": "llama.cpp"}),
    },
    "llamacpppython": {
        "/v1/models": _models_list({"id": "tiny", "object": "model", "owned_by": "me",
                                    "permissions": []}),
    },
    "openailike": {
        "/v1/models": _models_list({"id": "gpt-3.5-turbo-instruct", "object": "model",
                                    "created": 1, "owned_by": "system"}),
    },
    "modelslocked": {
        "/v1/models": Answer({"error": {"message": "Invalid API key", "type": "auth_error",
                                        "code": "invalid_api_key"}}, status=401),
    },
}


async def imitate(w: Writer, r: Recorded, scenario: str) -> None:
    below = r.path.split("?")[0][len(scenario) + 1:] or "/"
    answer = IMITATIONS[scenario].get(below, Answer({"error": "not found"}, status=404))
    value = answer.body(r.json()) if callable(answer.body) else answer.body
    if isinstance(value, str):
        body, content_type = value.encode(), "text/plain; charset=utf-8"
    else:
        body, content_type = json.dumps(value).encode(), "application/json"
    w.write(head(answer.status, content_type, answer.headers, len(body)) + body)


SCENARIOS: dict[str, Scenario] = {
    "ok": ok_stream,
    "crlf": crlf_comments,
    "e401": error(401, {"error": {"message": "Invalid API key", "type": "auth_error",
                                  "code": "invalid_api_key"}}),
    "e402": error(402, {"error": "Insufficient balance", "status": 402}),
    "e400seed": error(400, {"error": 400, "message": "temperature: bad", "param": "temperature",
                            "code": "invalid_parameter_value"}),
    "e429": error(429, {"error": {"message": "Slow down", "type": "rate_limit_error",
                                  "code": "rate_limit_error"}}, {"Retry-After": "7"}),
    "e500text": error(500, b"Internal Server Error"),
    "e503": error(503, {"error": {"message": "Service unavailable", "code": None}}),
    "drop": drop_mid_stream,
    "flaky": flaky,
    "malformed": malformed_frame,
    "nodone": no_done,
    "errorframe": error_frame,
    "html": wrong_content_type,
    "json": json_instead_of_stream,
    "stall": stall,
    # The fault matrix: every documented status, each body shape at least once.
    "e400ctx": error(400, {"error": {"message": "This model's maximum context length is 8192 "
                                                "tokens", "type": "invalid_request_error",
                                     "code": "context_length_exceeded", "param": "prompt"}}),
    "e403html": raw_error(403, "text/html", HTML_403),
    "e404": error(404, {"error": {"message": "Model m does not exist", "type": "not_found",
                                  "code": "model_not_found"}}),
    "e408": error(408, {"error": "Request timed out upstream", "status": 408}),
    "e413text": raw_error(413, "text/plain", b"Request Entity Too Large"),
    "e500seed": error(500, {"error": 500, "message": "The sampler crashed",
                            "type": "server_error"}),
    "big": big_frame,
    "drip": drip,
    # Merging plain text frames into one event.
    "plain": plain_frames,
    "mixed": mixed_frames,
    "dropafter": drop_after_plain_frames,
    "malformedafter": malformed_after_plain_frames,
}


@dataclass
class FaultServer:
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Recorded] = field(default_factory=list)

    def url(self, scenario: str) -> str:
        return f"http://{self.host}:{self.port}/{scenario}/v1"

    def start(self) -> FaultServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._server = await asyncio.start_server(self._handle, self.host, 0)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()

        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(serve(), self._loop)
        ready.wait(5)
        return self

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            request_line = (await reader.readline()).decode()
            method, path, _ = request_line.split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", 0)))
            recorded = Recorded(method, path, headers, body)
            self.requests.append(recorded)
            scenario_name = path.strip("/").split("/")[0]
            if scenario_name in IMITATIONS:
                await imitate(writer, recorded, scenario_name)
            elif path.split("?")[0].endswith("/models"):
                await models(writer, recorded)
            elif path.endswith("/providers"):
                await providers(writer, recorded)
            else:
                await SCENARIOS[scenario_name](writer, recorded)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()
