from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.core.client import StreamEvent, Usage
from playground.core.errors import ApiError, InvalidParameter
from playground.core.history import (
    FILE_NAME,
    MIGRATIONS,
    History,
    HistoryError,
)
from playground.core.paths import data_dir
from playground.core.request import CompletionRequest, build_request
from playground.core.routing import Routing, parse_routing_object
from playground.core.runs import RunResult
from playground.core.search_index import fts5_available

KEY = "sk-nano-3f2b9c1e-7a4d-4b8e-9c2f-1d3e5a7b9c0d"
SEARCH_MODES = [pytest.param(True, id="fts5", marks=pytest.mark.skipif(
    not fts5_available(), reason="this SQLite has no FTS5")), pytest.param(False, id="like")]


def request(prompt: str = "Once upon a time", model: str = "local/stdlib",
            **params: object) -> CompletionRequest:
    return build_request(prompt, model, params or {"temperature": 0.7})


def result(text: str, *, finish: str | None = "stop", error: ApiError | None = None,
           cancelled: bool = False) -> RunResult:
    run = RunResult()
    for piece in text.split(" "):
        run.add(StreamEvent(text=piece + " "))
    run.add(StreamEvent(finish_reason=finish, request_id="req-1",
                        usage=Usage(5, 7, 12, extra={"cost": 0.0012})))
    run.finish(error=error, cancelled=cancelled)
    return run


@pytest.fixture
def history() -> Iterator[History]:
    with History() as opened:
        yield opened


def test_a_run_is_stored_whole_and_restores_its_request(history: History) -> None:
    routing = Routing(provider=parse_routing_object({"only": ["deepinfra"]}),
                      billing_mode="paygo", billing_as_header=True)
    sent = build_request("Write a haiku", "zai-org/glm-5:thinking",
                         {"temperature": 0.9, "stop": ["\n\n"], "seed": 7}, routing)
    run_id = history.record(sent, result("old pond frog"), connection="nanogpt",
                            preset="Balanced", group="cmp-1")
    run = history.get(run_id)
    assert history.path == data_dir() / FILE_NAME
    assert (run.connection, run.model, run.prompt) == ("nanogpt", "zai-org/glm-5:thinking",
                                                       "Write a haiku")
    assert run.output == "old pond frog " and run.finish_reason == "stop"
    assert run.request == sent.body()
    assert run.usage == {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12,
                         "cost": 0.0012}
    assert run.cost == 0.0012 and run.request_id == "req-1"
    assert run.ttft_ms is not None and run.total_ms is not None and run.total_ms >= run.ttft_ms
    assert (run.preset, run.group, run.parent, run.status) == ("Balanced", "cmp-1", None, "ok")
    restored = run.to_request()
    assert restored.body() == sent.body() and restored.headers() == sent.headers()
    assert run.params() == {"temperature": 0.9, "seed": 7, "stop": ["\n\n"]}
    assert json.loads(history.export_json([run_id]))["runs"][0]["status"] == "ok"


def test_stopped_and_failed_runs_keep_their_partial_text(history: History) -> None:
    stopped = history.record(request(), result("half a", finish=None, cancelled=True),
                             connection="local")
    failed = history.record(request(), result("broken", finish="error", error=ApiError(
        503, "upstream went away", code="overloaded")), connection="local", parent=stopped)
    assert history.get(stopped).output == "half a " and history.get(stopped).status == "cancelled"
    run = history.get(failed)
    assert run.output == "broken " and run.status == "error" and run.parent == stopped
    assert run.error is not None and run.error["status"] == 503
    assert run.error["code"] == "overloaded"


def test_no_key_is_ever_stored(history: History) -> None:
    sent = request()
    assert KEY in sent.headers(api_key=KEY)["Authorization"]  # the key exists only here
    refused = result("", error=ApiError(401, f"Incorrect API key provided: {KEY}. "
                                             f"Header was Bearer {KEY}"))
    run_id = history.record(sent, refused, connection="nanogpt")
    history.close()
    stored = b"".join(p.read_bytes() for p in history.path.parent.glob(f"{FILE_NAME}*"))
    assert KEY.encode() not in stored and b"sk-nano-" not in stored
    with History() as reopened:
        assert reopened.get(run_id).error["message"].startswith(  # type: ignore[index]
            "Incorrect API key provided: [redacted]")
        assert KEY not in reopened.export_json([run_id])
        assert KEY not in reopened.export_markdown([run_id])


@pytest.mark.parametrize("use_fts", SEARCH_MODES)
def test_search_filters_and_paging(use_fts: bool) -> None:
    with History(use_fts=use_fts) as history:
        assert history.use_fts is use_fts
        a = history.record(request("The dragon sleeps"), result("under the mountain"),
                           connection="local", preset="Creative")
        b = history.record(request("A quiet village", model="other/model"),
                           result("where a dragon once lived"), connection="local")
        c = history.record(request("Shopping list"), result("eggs, milk, 100% butter"),
                           connection="local", preset="Creative")
        assert [r.id for r in history.list()] == [c, b, a]
        assert [r.id for r in history.list(search="dragon")] == [b, a]
        assert [r.id for r in history.list(search="DRAGON mountain")] == [a]  # every word
        assert [r.id for r in history.list(search="moun")] == [a]  # a word's beginning
        assert [r.id for r in history.list(search="dragon", model="other/model")] == [b]
        assert [r.id for r in history.list(preset="Creative")] == [c, a]
        assert [r.id for r in history.list(limit=1, offset=1)] == [b]
        assert history.count(search="dragon") == 2 and history.count() == 3
        assert history.list(search="zebra") == []
        for odd in ('"', "AND", "dragon OR", "NEAR(", "*", "-x", "100%", "_", "col:val"):
            history.list(search=odd)  # user text is never query syntax
        assert [r.id for r in history.list(search="100%")] == [c]
        assert history.models() == ["local/stdlib", "other/model"]
        assert history.presets() == ["Creative"]


@pytest.mark.skipif(not fts5_available(), reason="this SQLite has no FTS5")
def test_index_catches_up_after_runs_recorded_without_fts5() -> None:
    with History() as history:
        first = history.record(request(), result("alpha"), connection="local")
    with History(use_fts=False) as without:  # as on a Python whose SQLite lacks FTS5
        second = without.record(request(), result("beta"), connection="local")
        without.delete([first])
    with History() as again:
        assert [r.id for r in again.list(search="beta")] == [second]
        assert again.list(search="alpha") == []


def test_delete_group_and_branches(history: History) -> None:
    root = history.record(request(), result("one"), connection="local", group="g")
    branch = history.record(request(), result("two"), connection="local", group="g",
                            parent=root)
    other = history.record(request(), result("three"), connection="local")
    assert [r.id for r in history.group("g")] == [root, branch]
    assert history.delete([root, 999]) == 1
    assert history.get(branch).parent is None
    assert [r.id for r in history.list()] == [other, branch]
    with pytest.raises(InvalidParameter, match="no run #12345"):
        history.get(12345)
    with pytest.raises(InvalidParameter, match="parent: no run #999"):
        history.record(request(), result("x"), connection="local", parent=999)


def test_exports(history: History) -> None:
    first = history.record(request("Code please"), result("```python print(1) ```"),
                           connection="local", preset="Deterministic")
    second = history.record(request("Plain"), result("text"), connection="local")
    data = json.loads(history.export_json([second, first]))
    assert [r["id"] for r in data["runs"]] == [first, second]
    assert data["runs"][0]["request"]["prompt"] == "Code please"
    markdown = history.export_markdown([first])
    assert markdown.startswith(f"## Run {first}: local/stdlib")
    assert "| Preset | Deterministic |" in markdown
    assert "````\n```python print(1) ``` \n````" in markdown  # a longer fence than the text's
    with pytest.raises(InvalidParameter, match="no run #77"):
        history.export_json([first, 77])


def test_migrations_from_an_empty_database(history: History) -> None:
    db = sqlite3.connect(history.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "runs" in tables and ("runs_fts" in tables) is fts5_available()
    db.close()


def test_migration_from_version_1_keeps_and_indexes_old_runs(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    # As version 1 of the app left it: its one step, numbered in user_version, no names.
    MIGRATIONS[0][1](db)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO runs (created_at, connection, model, prompt, output, request, "
               "routing) VALUES ('2024-01-01T00:00:00+00:00', 'local', 'm', 'old prompt', "
               "'ancient output', '{\"model\": \"m\", \"prompt\": \"old prompt\"}', '{}')")
    db.close()
    with History(path) as history:
        assert history.problem is None
        [old] = history.list(search="ancient")
        assert (old.prompt, old.status, old.request) == ("old prompt", "ok",
                                                         {"model": "m", "prompt": "old prompt"})
        new = history.record(request(), result("fresh"), connection="local")
        assert [r.id for r in history.list()] == [new, old.id]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.close()


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(HistoryError, match="newer version"):
        History(path)
    assert path.exists() and not list(tmp_path.glob("*.corrupt-*"))


def test_a_corrupt_database_is_set_aside_and_replaced() -> None:
    path = data_dir() / FILE_NAME
    path.write_bytes(b"this is not a database, just bytes " * 200)
    wal = path.with_name(FILE_NAME + "-wal")
    wal.write_bytes(b"stale")
    with History() as history:
        assert history.problem is not None
        assert history.problem.startswith(f"{FILE_NAME} could not be read (file is not a "
                                          "database); it was moved to")
        assert history.list() == []
        history.record(request(), result("works"), connection="local")
    assert len(list(path.parent.glob(f"{FILE_NAME}.corrupt-*"))) == 1
    assert not wal.exists() or b"stale" not in wal.read_bytes()
    with History() as reopened:
        assert reopened.problem is None and reopened.count() == 1


def test_dialect_and_translation_notes_are_kept(playground_home) -> None:
    from playground.core.request import build_request
    from playground.core.runs import RunResult

    request = build_request("p", "m", {"repetition_penalty": 1.2, "tfs": 0.9},
                            dialect="llama-cpp-python")
    result = RunResult(text="out")
    result.finish()
    with History() as history:
        record = history.get(history.record(request, result, connection="llama"))
    assert record.dialect == "llama-cpp-python"
    assert any("repeat_penalty" in note for note in record.notes)
    assert any("tfs" in note for note in record.notes)
    assert record.to_request().dialect == "llama-cpp-python"
    assert record.request["repetition_penalty"] == 1.2  # kept in the catalog's names


def test_branch_counts_name_the_runs_that_have_branches(history: History) -> None:
    root = history.record(request(), result("one"), connection="local")
    lone = history.record(request(), result("two"), connection="local")
    first = history.record(request(), result("three"), connection="local", parent=root)
    history.record(request(), result("four"), connection="local", parent=root)
    history.record(request(), result("five"), connection="local", parent=first)
    assert history.branch_counts([root, lone, first]) == {root: 2, first: 1}
    assert history.branch_counts([lone]) == {} and history.branch_counts([]) == {}
    many = [history.record(request(), result("x"), connection="local", parent=lone)
            for _ in range(3)]
    asked = [*range(10_000, 11_200), lone, *many]  # more ids than one query binds
    assert history.branch_counts(asked) == {lone: 3}
    history.delete([root])
    assert history.branch_counts([root, first]) == {first: 1}
