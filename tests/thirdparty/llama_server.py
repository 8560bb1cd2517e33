"""Start and stop a real llama-cpp-python server on a tiny random model (see conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).parent
INSTALL = "pip install 'llama-cpp-python[server]' gguf"


@dataclass(frozen=True)
class LlamaServer:
    base_url: str
    model: str
    log: Path


@contextmanager
def running_server(folder: Path) -> Iterator[LlamaServer]:
    """Write the model into `folder`, start the server on a free port, stop it on exit."""
    python = _python()
    model = folder / "tiny.gguf"
    subprocess.run([python, str(HERE / "tiny_gguf.py"), str(model)], check=True)
    port = _free_port()
    log = folder / "server.log"
    command = [python, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "tiny",
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512",
               "--n_threads", "1", "--verbose", "false"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_up(base_url, process, log)
        yield LlamaServer(base_url, "tiny", log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _python() -> str:
    python = os.environ.get("PLAYGROUND_LLAMA_PYTHON", sys.executable)
    found = subprocess.run([python, "-c", "import llama_cpp.server, gguf; "
                            "print(llama_cpp.__version__)"], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.fail(f"{python} lacks llama-cpp-python's server or gguf ({INSTALL}); set "
                    f"PLAYGROUND_LLAMA_PYTHON to an interpreter that has them:\n"
                    f"{found.stderr[-500:]}")
    return python


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama-cpp-python's server exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(base_url + "/models", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"llama-cpp-python's server did not answer within 60 s:\n"
                f"{log.read_text()[-2000:]}")
