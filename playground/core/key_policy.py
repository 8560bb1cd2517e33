"""One policy for a connection's API key, used by the window, the command line, the request
previews and the settings' server checks: which key (from the environment, the keyring or the
session), whether it may go (not over plain http to another computer until the person said so),
and what is missing when a connection cannot run without one."""

from __future__ import annotations

from dataclasses import dataclass

from playground.core.connections import Connection, insecure_key_message
from playground.core.keys import KeyStore


@dataclass(frozen=True)
class KeyDecision:
    #: What requests carry now; None while there is none, or while it waits for leave.
    key: str | None
    found: bool  # the connection has a key (it may still be waiting)
    #: A key exists but its base URL is plain http to another computer and nobody said yet
    #: that it may go there (`insecure_message` says so).
    waiting: bool
    #: Why the connection cannot run: it needs a key and has none ("no key for …: set …").
    missing: str | None
    env_var: str  # where a preview reads the key from, in place of the key itself
    insecure_message: str | None  # the refusal for a waiting key, naming its URL

    @property
    def sends(self) -> bool:
        """Whether requests carry a key (so that a preview shows where it comes from)."""
        return self.found or self.missing is not None


def decide(connection: Connection, keys: KeyStore, *, allow_insecure: bool = False
           ) -> KeyDecision:
    """The key policy for `connection`. `allow_insecure`: the person lets a key go over plain
    http for this one use (``--allow-insecure-key``); a connection that remembers their leave
    (``insecure_key_ok``) needs none."""
    env_var = keys.env_var(connection.name)
    if connection.kind == "local":
        return KeyDecision(None, False, False, None, env_var, None)
    found = keys.get(connection.name)
    waiting = found is not None and connection.key_needs_confirmation and not allow_insecure
    missing = None
    if found is None and connection.needs_key:
        extra = f" ({keys.keyring_problem})" if keys.keyring_problem else ""
        missing = (f"no key for {connection.label}: set {env_var} or save one in Settings"
                   f"{extra}")
    insecure = insecure_key_message(connection.base_url) if waiting and connection.base_url \
        else None
    return KeyDecision(found.key if found is not None and not waiting else None,
                       found is not None, waiting, missing, env_var, insecure)
