"""What a headless command needs before it can send: the connection's key and base URL
(starting the local engine for the command's duration when that is the connection, and
noticing when that engine stops)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from playground.core.connections import Connection
from playground.core.errors import ApiError, InvalidParameter, StreamError
from playground.core.key_policy import decide
from playground.core.keys import KeyStore
from playground.core.runs import RunResult

if TYPE_CHECKING:
    from playground.core.engine_process import EngineProcess

#: How long a dropped connection waits for the engine child to be seen gone: the kernel
#: closes a killed process's sockets a moment before its parent can reap it.
ENGINE_EXIT_GRACE_S = 2.0


class EngineStopped(ApiError):
    """A run failed because the local engine the command started stopped under it."""

    def __str__(self) -> str:
        return self.message


class Server:
    """Where a command sends: a connection's base URL, or the local engine child the command
    started (on any free port: a command's engine must not move the window's kept port)."""

    def __init__(self, connection: Connection) -> None:
        self._engine: EngineProcess | None = None
        if connection.base_url:
            self.base_url = connection.base_url
            return
        from playground.core.engine_process import EngineProcess
        self._engine = EngineProcess(port=0)
        self.base_url = self._engine.start()

    def check(self, results: Sequence[RunResult]) -> str | None:
        """When runs failed on the network or mid-stream because the engine child stopped:
        say so in their errors (their text stays) and return what happened, e.g. "the local
        engine stopped (killed by signal 9)". None when the engine runs or there is none."""
        broken = [result for result in results if result.error is not None and (
            result.error.status == 0 or isinstance(result.error, StreamError))]
        if self._engine is None or not broken:
            return None
        from playground.core.engine_process import describe_exit
        code = self._engine.ended(ENGINE_EXIT_GRACE_S)
        if code is None:
            return None
        lost = f"the local engine stopped ({describe_exit(code)})"
        for result in broken:
            how = (f"after {len(result.text):,} characters, which are kept" if result.text
                   else "before it answered")
            result.error = EngineStopped(0, f"{lost} {how}", code="engine_stopped",
                                         request_id=result.request_id)
        return lost

    def restart(self) -> None:
        """Start the local engine again (after `check` found it stopped)."""
        assert self._engine is not None, "only the local engine is restarted"
        self._engine.stop()
        self.base_url = self._engine.start()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.stop()


@contextmanager
def server_for(connection: Connection) -> Iterator[Server]:
    """The connection's `Server`; a local engine it starts runs until the block ends."""
    server = Server(connection)
    try:
        yield server
    finally:
        server.close()


@contextmanager
def base_url_for(connection: Connection) -> Iterator[str]:
    """The connection's base URL; for the local engine, start it until the block ends."""
    with server_for(connection) as server:
        yield server.base_url


def api_key_for(connection: Connection, allow_insecure: bool = False) -> str | None:
    """The key to send, if any, as the key policy says (`core.key_policy`). NanoGPT needs
    one: its absence is an input error (exit 2). A key for a plain-http base URL that is not
    loopback is refused (an input error naming the URL) unless `allow_insecure`
    (``--allow-insecure-key``) or the connection remembers the person's leave."""
    decision = decide(connection, KeyStore(), allow_insecure=allow_insecure)
    if decision.missing:
        raise InvalidParameter("api_key", f"api_key: {decision.missing}")
    if decision.insecure_message:
        raise InvalidParameter("api_key", decision.insecure_message)
    return decision.key


def insecure_key_allowed(connection: Connection, allow_insecure: bool = False) -> bool:
    """What to pass as a client's ``allow_insecure_key`` for this connection: the person
    confirmed it now (`allow_insecure`) or once before (``insecure_key_ok``)."""
    return allow_insecure or connection.insecure_key_ok
