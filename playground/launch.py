"""What a headless command needs before it can send: the connection's key and base URL
(starting the local engine for the command's duration when that is the connection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playground.core.connections import Connection
from playground.core.errors import InvalidParameter
from playground.core.keys import KeyStore


@contextmanager
def base_url_for(connection: Connection) -> Iterator[str]:
    """The connection's base URL; for the local engine, start it until the block ends."""
    if connection.base_url:
        yield connection.base_url
        return
    from playground.engine.process import EngineProcess
    engine = EngineProcess()
    try:
        yield engine.start()
    finally:
        engine.stop()


def api_key_for(connection: Connection) -> str | None:
    """The key to send, if any. NanoGPT needs one: its absence is an input error (exit 2)."""
    keys = KeyStore()
    if not connection.needs_key:
        found = keys.get(connection.name) if connection.kind == "custom" else None
        return found.key if found else None
    found = keys.get(connection.name)
    if found is None:
        extra = f" ({keys.keyring_problem})" if keys.keyring_problem else ""
        raise InvalidParameter("api_key", f"api_key: no key for {connection.label}: set "
                               f"{keys.env_var(connection.name)} or save one in the app's "
                               f"Settings{extra}")
    return found.key
