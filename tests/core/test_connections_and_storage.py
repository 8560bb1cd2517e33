from __future__ import annotations

import json
import os
import time

import pytest

from playground.core.assignments import parse_assignment, parse_assignments
from playground.core.connections import (
    NANOGPT_BASE_URL,
    Connection,
    ConnectionStore,
    is_loopback,
    normalize_base_url,
)
from playground.core.errors import InvalidParameter
from playground.core.storage import STALE_TEMP_S, CorruptFile, atomic_write_json, load_json


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1"),
    ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"),
    ("https://nano-gpt.com/api/v1/completions", "https://nano-gpt.com/api/v1"),
    ("  http://localhost:11434/v1  ", "http://localhost:11434/v1"),
])
def test_base_urls_as_people_write_them(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize("bad", ["localhost:8080", "ftp://x/v1", "http:///v1", ""])
def test_bad_base_urls(bad: str) -> None:
    with pytest.raises(InvalidParameter, match="base_url"):
        normalize_base_url(bad)


def test_loopback() -> None:
    assert is_loopback("http://127.0.0.1:1/v1") and is_loopback("http://localhost/v1")
    assert not is_loopback("https://nano-gpt.com/api/v1")


def test_builtins_and_custom_store(playground_home) -> None:
    store = ConnectionStore()
    assert [c.name for c in store.all()] == ["local", "nanogpt"]
    assert store.get("nanogpt").base_url == NANOGPT_BASE_URL
    assert store.get("nanogpt").needs_key and not store.get("local").needs_key
    assert store.get("local").model == "local/stdlib"
    store.add(Connection(name="llama", base_url="http://127.0.0.1:8080/v1/", dialect="llama.cpp"))
    assert ConnectionStore().get("llama").base_url == "http://127.0.0.1:8080/v1"
    saved = json.loads(store.path.read_text())
    assert saved == [{"name": "llama", "kind": "custom", "base_url": "http://127.0.0.1:8080/v1",
                      "dialect": "llama.cpp"}]
    with pytest.raises(InvalidParameter, match="built in"):
        store.add(Connection(name="local"))
    store.remove("llama")
    with pytest.raises(InvalidParameter, match="no connection named 'llama'"):
        store.get("llama")


def test_an_entry_that_no_longer_validates_is_reported_and_kept(playground_home) -> None:
    store = ConnectionStore()
    hand_edited = {"name": "lab box", "base_url": "http://10.0.0.2:8080/v1"}
    store.path.write_text(json.dumps([hand_edited]))
    assert store.custom() == []
    assert store.problems == ["connections.json: entry 1 (lab box) is left out: name: "
                              "'lab box' is not allowed; use letters, digits, '-', '_' or '.'"]
    store.add(Connection(name="new", base_url="http://127.0.0.1:1/v1"))
    store.remove("new")
    assert json.loads(store.path.read_text()) == [hand_edited]  # saving others lost nothing


@pytest.mark.parametrize("text", ["{ broken", '{"name": "not a list"}'])
def test_a_corrupt_connections_file_is_set_aside_and_reported(playground_home, text) -> None:
    store = ConnectionStore()
    store.path.write_text(text)
    assert [c.name for c in store.all()] == ["local", "nanogpt"]
    [problem] = store.problems
    assert "connections.json" in problem and "moved to connections.json.corrupt-" in problem
    [moved] = store.path.parent.glob("connections.json.corrupt-*")
    assert moved.read_text() == text
    assert not store.path.exists()


def test_corrupt_file_is_set_aside_and_reported(tmp_path) -> None:
    path = tmp_path / "connections.json"
    path.write_text("{ broken")
    with pytest.raises(CorruptFile) as info:
        load_json(path)
    assert not path.exists()
    assert info.value.moved_to.exists() and info.value.moved_to.read_text() == "{ broken"
    assert "moved to" in str(info.value)
    assert load_json(path) is None


def test_atomic_write_leaves_no_temp_files(tmp_path) -> None:
    path = tmp_path / "a" / "x.json"
    atomic_write_json(path, {"k": [1, 2]})
    atomic_write_json(path, {"k": [3]})
    assert load_json(path) == {"k": [3]}
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_a_killed_writes_temp_file_is_removed_once_stale(tmp_path) -> None:
    """A write killed before its rename leaves `.NAME.*.tmp`; the next write of the same file
    removes it when it is old, and leaves a fresh one (maybe another process's write)."""
    path = tmp_path / "x.json"
    stale, fresh, other = (tmp_path / ".x.json.killed.tmp", tmp_path / ".x.json.live.tmp",
                           tmp_path / ".y.json.killed.tmp")
    for temp in (stale, fresh, other):
        temp.write_text("{ half")
    hours_ago = time.time() - 2 * STALE_TEMP_S
    for old in (stale, other):
        os.utime(old, (hours_ago, hours_ago))
    atomic_write_json(path, {"k": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, other.name, "x.json"])


def test_set_assignments() -> None:
    assert parse_assignments(["temperature=0.2", "temperature=0.4", "stop=END",
                              'stop=["\\n\\n","END"]', "custom_token_bans=1,2",
                              'logit_bias={"50256":-100}', "mirostat_mode=2"]) == {
        "temperature": 0.4, "stop": ["\n\n", "END"], "custom_token_bans": [1, 2],
        "logit_bias": {"50256": -100}, "mirostat_mode": 2}
    with pytest.raises(InvalidParameter, match="expected NAME=VALUE"):
        parse_assignment("temperature")
