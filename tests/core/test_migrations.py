"""Named migrations: each step once, in order, inside its own transaction, recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from playground.core import history
from playground.core.migrations import Migration, NewerDatabase, applied, migrate, pending


def connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def notes_steps(calls: list[str]) -> list[Migration]:
    """A small store's schema in three steps; each step notes that it ran."""
    def create(db: sqlite3.Connection) -> None:
        calls.append("create")
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")

    def add_tag(db: sqlite3.Connection) -> None:
        calls.append("tag")
        db.execute("ALTER TABLE notes ADD COLUMN tag TEXT NOT NULL DEFAULT ''")

    def index_tag(db: sqlite3.Connection) -> None:
        calls.append("index")
        db.execute("UPDATE notes SET tag = 'old' WHERE tag = ''")
        db.execute("CREATE INDEX notes_tag ON notes(tag)")

    return [("create notes", create), ("add a tag", add_tag), ("index tags", index_tag)]


def schema_of(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(db.execute("SELECT name, sql FROM sqlite_master WHERE name != 'migrations' "
                             "AND sql IS NOT NULL"))


def test_an_empty_database_gets_every_step_in_order_and_records_them(tmp_path: Path) -> None:
    calls: list[str] = []
    db = connect(tmp_path / "a.sqlite3")
    steps = notes_steps(calls)
    assert migrate(db, steps) == ["create notes", "add a tag", "index tags"]
    assert calls == ["create", "tag", "index"]
    assert applied(db) == ["create notes", "add a tag", "index tags"]
    assert migrate(db, steps) == [] and calls == ["create", "tag", "index"]  # never twice
    assert all(row[0] for row in db.execute("SELECT applied_at FROM migrations"))


@pytest.mark.parametrize("done", [0, 1, 2, 3])
def test_a_database_at_every_older_version_reaches_the_same_schema_and_keeps_its_rows(
        tmp_path: Path, done: int) -> None:
    fresh_calls: list[str] = []
    fresh = connect(tmp_path / "fresh.sqlite3")
    migrate(fresh, notes_steps(fresh_calls))

    calls: list[str] = []
    steps = notes_steps(calls)
    db = connect(tmp_path / "old.sqlite3")
    if done:
        migrate(db, steps, upto=steps[done - 1][0])
        assert applied(db) == [name for name, _ in steps[:done]]
        db.execute("INSERT INTO notes (text) VALUES ('written at an older version')")
    calls.clear()
    migrate(db, steps)
    assert calls == fresh_calls[done:]  # exactly the missing steps, each once
    assert schema_of(db) == schema_of(fresh)
    assert applied(db) == [name for name, _ in steps]
    if done:
        assert db.execute("SELECT text FROM notes").fetchall() == \
            [("written at an older version",)]
        if done < 3:  # the step that fills in old rows ran over them
            assert db.execute("SELECT tag FROM notes").fetchone() == ("old",)


def test_a_failing_step_leaves_nothing_behind_and_the_next_attempt_resumes(
        tmp_path: Path) -> None:
    calls: list[str] = []
    steps = notes_steps(calls)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE notes ADD COLUMN tag TEXT NOT NULL DEFAULT ''")
        raise RuntimeError("disk on fire")

    db = connect(tmp_path / "a.sqlite3")
    with pytest.raises(RuntimeError, match="disk on fire"):
        migrate(db, [steps[0], ("add a tag", broken), steps[2]])
    assert applied(db) == ["create notes"]
    columns = [row[1] for row in db.execute("PRAGMA table_info(notes)")]
    assert columns == ["id", "text"]  # the half-done step was rolled back
    assert migrate(db, steps) == ["add a tag", "index tags"]


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    calls: list[str] = []
    steps = notes_steps(calls)
    path = tmp_path / "a.sqlite3"
    migrate(connect(path), [*steps, ("a step from the future", lambda db: None)])
    db = connect(path)
    before = schema_of(db)
    with pytest.raises(NewerDatabase, match="'a step from the future'"):
        migrate(db, steps, what="the notes database")
    assert schema_of(db) == before
    assert len(applied(db)) == 4


def test_a_second_connection_finds_the_work_done(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    first: list[str] = []
    second: list[str] = []
    one, two = connect(path), connect(path)
    migrate(one, notes_steps(first))
    assert migrate(two, notes_steps(second)) == [] and second == []


def test_bad_lists_are_refused(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.sqlite3")
    steps = notes_steps([])
    with pytest.raises(ValueError, match="unique"):
        migrate(db, [steps[0], steps[0]])
    with pytest.raises(ValueError, match="no migration named 'nope'"):
        migrate(db, steps, upto="nope")


def test_pending_works_without_a_database() -> None:
    steps = notes_steps([])
    assert [name for name, _ in pending(["create notes"], steps)] == ["add a tag", "index tags"]
    with pytest.raises(NewerDatabase, match="the presets"):
        pending(["zzz"], steps, what="the presets")


def test_history_numbered_database_adopts_named_steps_without_rerunning_any(
        tmp_path: Path) -> None:
    """How history moves over: its numbered steps get names; a database at user_version N
    records the first N as applied the first time, and only the rest run."""
    db = connect(tmp_path / "history.sqlite3")
    for _name, step in history.MIGRATIONS[:2]:  # as an older version of the app left it
        step(db)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO runs (created_at, connection, model, prompt, output, request, "
               "routing) VALUES ('t', 'local', 'm', 'p', 'o', '{}', '{}')")
    names = [name for name, _ in history.MIGRATIONS]
    assert history.migrate(db) == names[2:]  # the first two adopted, not run again
    assert applied(db) == names
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(names)  # for older apps
    assert db.execute("SELECT prompt, dialect, variant FROM runs").fetchall() == \
        [("p", "nanogpt", None)]
    assert history.migrate(db) == []

    reference = connect(tmp_path / "reference.sqlite3")
    assert history.migrate(reference) == names
    assert schema_of(db) == schema_of(reference)


def test_adopting_a_numbered_database_newer_than_the_list_is_refused(tmp_path: Path) -> None:
    db = connect(tmp_path / "a.sqlite3")
    db.execute("PRAGMA user_version = 7")
    with pytest.raises(NewerDatabase, match="schema 7"):
        migrate(db, notes_steps([]), adopt_user_version=True)
    assert applied(db) == []
