from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from playground.core.engine_process import EngineProcess, EngineStartError
from playground.engine.model import LanguageModel


def exited(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def wait_exit(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if exited(pid):
            return True
        time.sleep(0.05)
    return False


def test_start_serve_stop(model: LanguageModel) -> None:
    engine = EngineProcess()
    with pytest.raises(RuntimeError):
        _ = engine.base_url
    url = engine.start(timeout=30)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
    assert engine.running and engine.pid is not None
    pid = engine.pid
    assert httpx.get(f"{url}/models", timeout=10).status_code == 200
    engine.stop()
    assert not engine.running and wait_exit(pid, 5)


def test_context_manager(model: LanguageModel) -> None:
    with EngineProcess() as engine:
        pid = engine.pid
        assert pid is not None
        response = httpx.post(f"{engine.base_url}/completions", timeout=30,
                              json={"model": "local/stdlib", "prompt": "a", "max_tokens": 2})
        assert response.status_code == 200
    assert wait_exit(pid, 5)


def test_child_exits_when_the_parent_dies(model: LanguageModel, tmp_path: Path) -> None:
    script = ("from playground.core.engine_process import EngineProcess\n"
              "import time\n"
              "e = EngineProcess(); e.start(); print(e.pid, flush=True); time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              env=os.environ.copy())
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not exited(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert wait_exit(child, 10)


def test_a_busy_port_fails_loudly(model: LanguageModel) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(EngineStartError, match="instead of its address"):
            EngineProcess(port=busy.getsockname()[1]).start(timeout=30)
    finally:
        busy.close()


def port_of(url: str) -> int:
    port = httpx.URL(url).port
    assert port is not None
    return port


def test_the_port_is_kept_from_one_start_to_the_next(model: LanguageModel) -> None:
    with EngineProcess() as engine:
        port = port_of(engine.base_url)
    with EngineProcess() as engine:
        assert port_of(engine.base_url) == port
        assert httpx.get(f"{engine.base_url}/models", timeout=10).status_code == 200


@pytest.mark.parametrize("listening", [True, False], ids=["listening", "bound"])
def test_a_taken_port_gives_way_to_a_free_one_which_is_kept(model: LanguageModel,
                                                             listening: bool) -> None:
    with EngineProcess() as engine:
        kept = port_of(engine.base_url)
    taker = socket.socket()
    taker.bind(("127.0.0.1", kept))
    if listening:
        taker.listen()
    try:
        with EngineProcess() as engine:
            moved = port_of(engine.base_url)
            assert moved != kept
            assert httpx.get(f"{engine.base_url}/models", timeout=10).status_code == 200
    finally:
        taker.close()
    with EngineProcess() as engine:
        assert port_of(engine.base_url) == moved


def test_port_zero_is_any_free_port_and_not_remembered(model: LanguageModel) -> None:
    with EngineProcess() as engine, EngineProcess(port=0) as other:
        kept = port_of(engine.base_url)
        assert port_of(other.base_url) != kept
    with EngineProcess() as engine:
        assert port_of(engine.base_url) == kept
