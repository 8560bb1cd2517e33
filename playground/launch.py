"""What a headless command needs before it can send: the connection's key and base URL
(starting the local engine for the command's duration when that is the connection)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playground.core.connections import Connection, insecure_key_message
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


def api_key_for(connection: Connection, allow_insecure: bool = False) -> str | None:
    """The key to send, if any. NanoGPT needs one: its absence is an input error (exit 2).

    A key for a plain-http base URL that is not loopback is refused (an input error naming the
    URL) unless `allow_insecure` (``--allow-insecure-key``) or the connection remembers the
    person's confirmation (``insecure_key_ok``)."""
    keys = KeyStore()
    if not connection.needs_key:
        found = keys.get(connection.name) if connection.kind == "custom" else None
    else:
        found = keys.get(connection.name)
        if found is None:
            extra = f" ({keys.keyring_problem})" if keys.keyring_problem else ""
            raise InvalidParameter("api_key", f"api_key: no key for {connection.label}: set "
                                   f"{keys.env_var(connection.name)} or save one in the app's "
                                   f"Settings{extra}")
    if found is None:
        return None
    if connection.key_needs_confirmation and not allow_insecure:
        assert connection.base_url is not None  # only a URL can need a confirmation
        raise InvalidParameter("api_key", insecure_key_message(connection.base_url))
    return found.key


def insecure_key_allowed(connection: Connection, allow_insecure: bool = False) -> bool:
    """What to pass as a client's ``allow_insecure_key`` for this connection: the person
    confirmed it now (`allow_insecure`) or once before (``insecure_key_ok``)."""
    return allow_insecure or connection.insecure_key_ok
