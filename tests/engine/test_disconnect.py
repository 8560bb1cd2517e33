"""A client that goes away stops its generation (server run in-process to watch it)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from playground.engine.model import LanguageModel
from playground.engine.server import EngineState, create_app
from playground.engine.store import BUILTIN_ID


@pytest.fixture
def served(model: LanguageModel) -> Iterator[tuple[str, Starlette]]:
    app = create_app()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1", app
    server.should_exit = True
    thread.join(10)


def test_disconnect_stops_generation(served: tuple[str, Starlette]) -> None:
    base_url, app = served
    state: EngineState = app.state.engine
    body = {"model": BUILTIN_ID, "prompt": "The", "max_tokens": 16_000, "ignore_eos": True,
            "stream": True}
    with httpx.stream("POST", f"{base_url}/completions", json=body, timeout=30) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: {")
        assert state.active_generations == 1
    deadline = time.monotonic() + 5
    while state.active_generations and time.monotonic() < deadline:
        time.sleep(0.02)
    assert state.active_generations == 0
