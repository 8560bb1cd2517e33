"""API keys: the environment, then the OS keyring, then a key kept for this session only.

A key is never written to a file, a preset, history, a log or an export. `keyring` is imported
lazily (it costs ~140 ms) and may have no backend on a headless machine, or one that accepts a
key and keeps nothing (``keyring --disable`` chooses such a one): then keys live for the
session only and `KeyStore.keyring_problem` says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

SERVICE = "nanogpt-playground"
#: Environment variables honoured per connection name.
ENV_VARS = {"nanogpt": "NANOGPT_API_KEY"}

Source = Literal["environment", "keyring", "session"]


@dataclass(frozen=True)
class FoundKey:
    key: str
    source: Source


class KeyStore:
    def __init__(self) -> None:
        self._session: dict[str, str] = {}
        self.keyring_problem: str | None = None

    @staticmethod
    def env_var(connection: str) -> str:
        return ENV_VARS.get(connection, f"PLAYGROUND_{connection.upper().replace('-', '_')}_KEY")

    def get(self, connection: str) -> FoundKey | None:
        value = os.environ.get(self.env_var(connection), "").strip()
        if value:
            return FoundKey(value, "environment")
        if connection in self._session:
            return FoundKey(self._session[connection], "session")
        stored = self._keyring_call("get_password", connection)
        return FoundKey(stored, "keyring") if isinstance(stored, str) and stored else None

    def set(self, connection: str, key: str) -> Source:
        """Store a key; returns where it went. The keyring holds it only if it gives it back:
        when there is none, or it kept nothing, the key is kept for the session."""
        key = key.strip()
        if not key:
            raise ValueError("the key is empty")
        if (self._keyring_call("set_password", connection, key) is not _FAILED
                and self._kept(connection, key)):
            self._session.pop(connection, None)
            return "keyring"
        self._session[connection] = key
        return "session"

    def _kept(self, connection: str, key: str) -> bool:
        """Whether the keyring gives `key` back; if not, `keyring_problem` says so."""
        if self._keyring_call("get_password", connection) == key:
            return True
        if self.keyring_problem is None:
            import keyring

            self.keyring_problem = (
                f"the system keyring ({keyring.get_keyring().name}) accepted the key but did "
                "not keep it; it is kept for this session only — or set "
                f"{self.env_var(connection)} in the environment")
        return False

    def delete(self, connection: str) -> None:
        self._session.pop(connection, None)
        if self._keyring_call("get_password", connection):
            self._keyring_call("delete_password", connection)

    def _keyring_call(self, name: str, connection: str, *args: str) -> object:
        try:
            import keyring
            import keyring.errors
        except ImportError as exc:  # pragma: no cover - keyring is a dependency
            self.keyring_problem = f"keyring is not installed ({exc})"
            return _FAILED
        try:
            result = getattr(keyring, name)(SERVICE, connection, *args)
        except keyring.errors.NoKeyringError:
            self.keyring_problem = ("no system keyring is available (e.g. GNOME Keyring, KWallet "
                                    "or macOS Keychain); keys are kept for this session only — "
                                    "or set NANOGPT_API_KEY in the environment")
            return _FAILED if name == "set_password" else None
        except keyring.errors.KeyringError as exc:
            self.keyring_problem = f"the system keyring failed: {exc}"
            return _FAILED if name == "set_password" else None
        return result


_FAILED = object()
