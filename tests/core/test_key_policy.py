"""The one key policy: which key goes, whether it may go over plain http, what is missing."""

from __future__ import annotations

import pytest

from playground.core.connections import Connection
from playground.core.key_policy import decide
from playground.core.keys import KeyStore


@pytest.fixture
def keys(memory_keyring, monkeypatch) -> KeyStore:
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    return KeyStore()


def custom(url: str, **extra: object) -> Connection:
    return Connection(name="box", kind="custom", base_url=url, **extra)


def test_the_local_engine_needs_and_sends_no_key(keys) -> None:
    decision = decide(Connection(name="local", kind="local"), keys)
    assert (decision.key, decision.sends, decision.missing) == (None, False, None)


def test_nanogpt_without_a_key_is_missing_one_and_says_where_to_put_it(keys) -> None:
    decision = decide(Connection(name="nanogpt", kind="nanogpt"), keys)
    assert decision.key is None and decision.sends  # a preview shows where it would come from
    assert decision.missing.startswith("no key for NanoGPT: set NANOGPT_API_KEY")


def test_a_key_goes_over_https_and_loopback_at_once(keys) -> None:
    keys.set("box", "sk-secret")
    for url in ("https://example.com/v1", "http://127.0.0.1:8080/v1", "http://localhost/v1"):
        decision = decide(custom(url), keys)
        assert (decision.key, decision.waiting, decision.missing) == ("sk-secret", False, None)


def test_a_key_for_plain_http_elsewhere_waits_for_leave(keys) -> None:
    keys.set("box", "sk-secret")
    decision = decide(custom("http://10.0.0.5:8000/v1"), keys)
    assert decision.key is None and decision.waiting and decision.found
    assert "http://10.0.0.5:8000/v1" in decision.insecure_message
    assert decide(custom("http://10.0.0.5:8000/v1"), keys, allow_insecure=True).key == \
        "sk-secret"
    remembered = custom("http://10.0.0.5:8000/v1", insecure_key_ok=True)
    assert decide(remembered, keys).key == "sk-secret"


def test_a_custom_server_without_a_key_sends_none_and_misses_nothing(keys) -> None:
    decision = decide(custom("http://10.0.0.5:8000/v1"), keys)
    assert (decision.key, decision.sends, decision.missing, decision.waiting) == (
        None, False, None, False)
