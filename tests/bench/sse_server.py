"""A loopback completions server that streams as fast as the socket takes it (for run.py).

``http://127.0.0.1:PORT/<mode>/<tokens>/v1/completions`` answers any POST with an event stream
of `tokens` text_completion chunks, one token each, then ``data: [DONE]``. The whole body is
rendered once per (mode, tokens) and then written in 64 KiB pieces, so the server costs almost
nothing per request: the client side is what is measured. Modes:

- ``multiline``: words with a line break every 6 to 14 words (lines of ~40-90 characters);
- ``paragraph``: words and no line break at all (one long paragraph).

Run as a script (``sse_server.py [MODE:TOKENS ...]``, the bodies to render before listening) it
serves in the foreground and prints ``PORT <n>`` once it listens; it exits when its stdin
closes, so it never outlives run.py.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import threading

WORDS = ("the", "model", "continues", "a", "prompt", "with", "tokens", "of", "text", "and",
         "every", "sampler", "is", "applied", "in", "order", "so", "that", "probability",
         "mass", "moves", "toward", "likely", "words", "while", "rare", "ones", "fade",
         "temperature", "scales", "logits", "before", "softmax", "is", "taken", "here")
PIECE = 64 * 1024
_bodies: dict[tuple[str, int], bytes] = {}


def tokens(mode: str, count: int) -> list[str]:
    """The token texts of a stream: deterministic for (mode, count)."""
    rng = random.Random(count)
    out = []
    until_break = rng.randint(6, 14)
    for _ in range(count):
        word = rng.choice(WORDS)
        if mode == "multiline":
            until_break -= 1
            if until_break == 0:
                until_break = rng.randint(6, 14)
                out.append(f" {word}\n")
                continue
        out.append(f" {word}")
    return out


def frame(text: str, finish: str | None = None, **extra: object) -> bytes:
    data = {"id": "cmpl-bench", "object": "text_completion", "created": 1700000000,
            "model": "bench", "choices": [{"index": 0, "text": text, "logprobs": None,
                                           "finish_reason": finish}], **extra}
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def body(mode: str, count: int) -> bytes:
    key = (mode, count)
    if key not in _bodies:
        texts = tokens(mode, count)
        parts = [frame(text) for text in texts[:-1]]
        parts.append(frame(texts[-1], "length", usage={
            "prompt_tokens": 4, "completion_tokens": count, "total_tokens": count + 4}))
        parts.append(b"data: [DONE]\n\n")
        _bodies[key] = b"".join(parts)
    return _bodies[key]


HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"X-Request-ID: bench\r\nConnection: close\r\n\r\n")


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        request_line = (await reader.readline()).decode()
        _method, path, _ = request_line.split(" ", 2)
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        parts = path.strip("/").split("/")
        data = body(parts[0], int(parts[1]))
        writer.write(HEAD)
        view = memoryview(data)
        for start in range(0, len(data), PIECE):
            writer.write(view[start:start + PIECE])
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
        pass
    finally:
        writer.close()


async def serve(port: int = 0) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()

    def wait_for_eof() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stdin_closed.set_result, None)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    async with server:
        await stdin_closed


if __name__ == "__main__":
    for spec in sys.argv[1:]:
        mode, _, count = spec.partition(":")
        body(mode, int(count))  # rendered before we say we listen, so no request waits for it
    asyncio.run(serve())
