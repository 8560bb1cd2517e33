"""Keys: environment first, then the keyring, else the session. Real keyring API, in-memory
backend (the machine has no keyring daemon)."""

from __future__ import annotations

import pytest

from playground.core.keys import SERVICE, KeyStore
from playground.core.paths import cache_dir, config_dir, data_dir


def test_keyring_round_trip(memory_keyring) -> None:
    keys = KeyStore()
    assert keys.get("nanogpt") is None
    assert keys.set("nanogpt", " sk-nano-1 ") == "keyring"
    assert memory_keyring.store[(SERVICE, "nanogpt")] == "sk-nano-1"
    found = KeyStore().get("nanogpt")
    assert (found.key, found.source) == ("sk-nano-1", "keyring")
    keys.delete("nanogpt")
    assert KeyStore().get("nanogpt") is None


def test_environment_wins(memory_keyring, monkeypatch) -> None:
    KeyStore().set("nanogpt", "from-keyring")
    monkeypatch.setenv("NANOGPT_API_KEY", "from-env")
    found = KeyStore().get("nanogpt")
    assert (found.key, found.source) == ("from-env", "environment")


def test_no_keyring_falls_back_to_session_with_a_clear_reason(no_keyring) -> None:
    keys = KeyStore()
    assert keys.get("nanogpt") is None
    assert "no system keyring" in keys.keyring_problem
    assert keys.set("nanogpt", "sk-session") == "session"
    assert keys.get("nanogpt").source == "session"
    assert KeyStore().get("nanogpt") is None  # nothing outlives the session


def test_a_key_is_never_written_to_the_user_dirs(memory_keyring, playground_home) -> None:
    KeyStore().set("nanogpt", "sk-nano-SECRET")
    for folder in (config_dir(), data_dir(), cache_dir()):
        for path in folder.rglob("*"):
            if path.is_file():
                assert b"sk-nano-SECRET" not in path.read_bytes()


def test_empty_key_refused(memory_keyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        KeyStore().set("nanogpt", "  ")


def test_a_keyring_that_keeps_nothing_leaves_the_key_for_the_session(null_keyring) -> None:
    keys = KeyStore()
    assert keys.set("nanogpt", "sk-nano-kept") == "session"
    found = keys.get("nanogpt")
    assert (found.key, found.source) == ("sk-nano-kept", "session")
    assert keys.keyring_problem == (
        "the system keyring (null Keyring) accepted the key but did not keep it; it is kept "
        "for this session only — or set NANOGPT_API_KEY in the environment")
    assert KeyStore().get("nanogpt") is None  # nothing outlives the session
    keys.delete("nanogpt")
    assert keys.get("nanogpt") is None


def test_the_reason_names_the_connections_own_variable(null_keyring) -> None:
    keys = KeyStore()
    keys.set("llama-box", "sk-box")
    assert "set PLAYGROUND_LLAMA_BOX_KEY in the environment" in keys.keyring_problem
