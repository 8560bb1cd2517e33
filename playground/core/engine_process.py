"""Run the local engine in a child process, so sampling never competes with the UI.

The child is ``python -m playground.engine serve --port P --any-port-if-busy
--exit-on-stdin-eof`` (in a frozen bundle, the bundle's own executable with ``serve ...``; see
`engine_command`): it binds loopback port P, or any free port when P is taken, prints one line
with its base URL, and serves. P is the port the engine had last time, kept in the cache
(`PORT_FILE`), so a URL or snippet copied from the app keeps working after a restart for as
long as nothing else takes the port. It exits by itself when
its stdin reaches end-of-file, which happens when `stop()` closes it or the parent dies. Its
stderr (uvicorn's warnings, tracebacks) goes to `log_path`.

It lives in core and imports no engine module, nothing heavy: the window and the command line
start the engine through it without loading numpy or starlette, and `ui/` never imports
`engine/`.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

from playground.core.paths import cache_dir
from playground.core.storage import atomic_write_text

_URL = re.compile(r"(http://\S+:(\d+)/v1)\s*$")
PORT_FILE = "port"  # in the engine's cache folder: the port the engine last listened on


class EngineStartError(RuntimeError):
    """The engine process did not come up."""


class EngineProcess:
    """The local engine as a subprocess. Use `start()`/`stop()` or ``with EngineProcess()``."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        """`port` None: the port of the last start, or any free port when it is taken (and
        that one is remembered instead). 0: any free port, not remembered. Else exactly that
        port, and `start()` fails when it is taken."""
        self.host = host
        self.port = port
        self.log_path = cache_dir() / "engine" / "server.log"
        self.port_path = self.log_path.with_name(PORT_FILE)
        self._process: subprocess.Popen[bytes] | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``; only valid after `start()`."""
        if self._base_url is None:
            raise RuntimeError("the engine process is not started")
        return self._base_url

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def exit_code(self) -> int | None:
        """How the child ended when it ended by itself (a crash, a kill, the OOM killer):
        its exit status, negative for the signal that killed it. None while it runs and
        when it was never started or was stopped by `stop()`."""
        return self._process.poll() if self._process is not None else None

    def ended(self, timeout: float) -> int | None:
        """`exit_code`, after waiting up to `timeout` seconds for a child that is going down
        (its connections can drop a moment before it is reaped)."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def start(self, timeout: float = 30.0) -> str:
        """Start the child and wait until it listens; returns the base URL. Requests sent
        before the model has loaded simply wait for it."""
        if self.running:
            return self.base_url
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        keep = self.port is None
        port = _read_port(self.port_path) if self.port is None else self.port
        command = engine_command(sys.executable, getattr(sys, "frozen", False), self.host,
                                 port, any_port_if_busy=keep)
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._process = process
        assert process.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=_first_line, args=(process.stdout, lines), daemon=True).start()
        try:
            line = lines.get(timeout=timeout).decode("utf-8", "replace")
        except queue.Empty:
            self.stop()
            raise EngineStartError(f"the engine did not start within {timeout:g} s; "
                                   f"see {self.log_path}") from None
        match = _URL.search(line)
        if match is None:
            self.stop()
            raise EngineStartError(f"the engine exited or said {line.strip()!r} instead of its "
                                   f"address; last log lines:\n{_tail(self.log_path)}")
        self._base_url = match.group(1)
        if keep and match.group(2) != str(port):
            atomic_write_text(self.port_path, f"{match.group(2)}\n")
        return self._base_url

    def stop(self, grace: float = 3.0) -> None:
        """Ask the child to exit (close stdin, then SIGTERM); kill it after `grace` seconds."""
        process, self._process, self._base_url = self._process, None, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=min(grace, 1.0))
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> EngineProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def engine_command(executable: str, frozen: bool, host: str, port: int, *,
                   any_port_if_busy: bool = False) -> list[str]:
    """The engine child's command line. A frozen app's `executable` is the app itself, whose
    ``playground`` command line has the same ``serve`` subcommand; otherwise it is Python."""
    module = [] if frozen else ["-m", "playground.engine"]
    fallback = ["--any-port-if-busy"] if any_port_if_busy else []
    return [executable, *module, "serve", "--host", host, "--port", str(port), *fallback,
            "--exit-on-stdin-eof"]


def describe_exit(code: int) -> str:
    """How a child ended, from its `exit_code`: "killed by signal 9" or "exit status 1"."""
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _read_port(path: Path) -> int:
    """The remembered port; 0 (any) when there is none or the file is not a port number."""
    try:
        port = int(path.read_text("ascii").strip())
    except (OSError, ValueError):
        return 0
    return port if 0 < port < 65536 else 0


def _first_line(stream: IO[bytes], out: queue.Queue[bytes]) -> None:
    """Hand over the child's first stdout line (empty at end-of-file), then keep draining."""
    out.put(stream.readline())
    for _ in iter(stream.readline, b""):
        pass


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
