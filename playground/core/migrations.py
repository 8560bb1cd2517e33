"""Named schema migrations for every SQLite store, recorded in the database they changed.

A store declares its schema as an ordered list of ``(name, function)``. `migrate` applies each
one the database has not had, in order, each in its own transaction together with the row that
records its name, so a crash leaves the database before or after a step, never inside one. A
name is never reused or renamed: it is the step's identity (append new steps at the end).

A database that records a name the list does not know was written by a newer version of the
app; `migrate` then refuses with `NewerDatabase` and changes nothing, rather than guessing.

A store that numbered its steps in ``PRAGMA user_version`` before this module existed moves
over with ``adopt_user_version=True``: the first time, its first N steps are recorded as
applied (N being that version), so nothing runs twice.

A file format (a preset file) has named steps too, checked by `check_list` and ordered by
`pending`; a file records how many it has had in its ``version`` field.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from playground.core.errors import PlaygroundError

#: One step: a name, unique in its list, and what it does to the database.
Migration = tuple[str, Callable[[sqlite3.Connection], None]]
#: A named step of any store (a database's, or a file format's, as presets have).
Step = TypeVar("Step", bound=tuple[str, Any])

#: Where each database records the steps it has had.
TABLE = "migrations"


class NewerDatabase(PlaygroundError):
    """The database has steps this version of the app does not know."""


def check_list(migrations: Sequence[tuple[str, Any]]) -> None:
    """Refuse a list with an empty or repeated name: a programming error, caught by tests."""
    seen: set[str] = set()
    for name, _ in migrations:
        if not name.strip() or name in seen:
            raise ValueError(f"migration names must be unique and not empty: {name!r}")
        seen.add(name)


def applied(db: sqlite3.Connection) -> list[str]:
    """The names recorded in `db`, in the order they were applied (none on a new database)."""
    if not _has_table(db):
        return []
    return [row[0] for row in db.execute(f"SELECT name FROM {TABLE} ORDER BY id")]


def pending(done: Sequence[str], migrations: Sequence[Step], *,
            what: str = "the database") -> list[Step]:
    """The steps of `migrations` not in `done`, in list order. Raises `NewerDatabase` if `done`
    names a step the list does not have. Pure: stores that are not SQLite can use it too."""
    known = {name for name, _ in migrations}
    unknown = [name for name in done if name not in known]
    if unknown:
        raise NewerDatabase(f"{what} is from a newer version of the app (it has "
                            f"{', '.join(repr(n) for n in unknown)}, which this one does not "
                            "know); it was left as it is")
    finished = set(done)
    return [step for step in migrations if step[0] not in finished]


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration], *,
            upto: str | None = None, adopt_user_version: bool = False,
            what: str = "the database") -> list[str]:
    """Apply the steps `db` has not had, up to and including the one named `upto` (all by
    default); returns the names applied now. `db` must be in autocommit mode
    (``isolation_level=None``) so that each step's transaction is this function's own."""
    check_list(migrations)
    names = [name for name, _ in migrations]
    if upto is not None and upto not in names:
        raise ValueError(f"no migration named {upto!r}")
    last = names.index(upto) if upto is not None else len(names) - 1
    done_now: list[str] = []
    with transaction(db):
        _create_table(db, migrations if adopt_user_version else (), what)
    while True:
        with transaction(db):  # re-read inside: another process may have migrated meanwhile
            todo = pending(applied(db), migrations, what=what)
            if not todo or names.index(todo[0][0]) > last:
                return done_now
            name, step = todo[0]
            step(db)
            _record(db, name)
        done_now.append(name)


def _create_table(db: sqlite3.Connection, numbered: Sequence[Migration], what: str) -> None:
    if _has_table(db):
        return
    db.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
               "applied_at TEXT NOT NULL)")
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(numbered) and numbered:
        raise NewerDatabase(f"{what} is from a newer version of the app (schema {version}; "
                            f"this one knows up to {len(numbered)}); it was left as it is")
    for name, _ in numbered[:version]:
        _record(db, name)


def _record(db: sqlite3.Connection, name: str) -> None:
    db.execute(f"INSERT INTO {TABLE} (name, applied_at) VALUES (?, ?)",
               (name, datetime.now(UTC).isoformat(timespec="milliseconds")))


def _has_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (TABLE,)).fetchone() is not None


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE: the write lock is taken before reading, so two processes opening the
    same database one moment apart cannot both decide to run the same step."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
