"""Full-text search over one SQLite table, for every store that has a search box.

An FTS5 index in "external content" mode, kept in step with its table by three triggers;
where this Python's SQLite lacks FTS5 the triggers go (they would make every write fail) and
callers search with LIKE instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping


def fts5_available() -> bool:
    """Whether this Python's SQLite was built with FTS5."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()
    return True


def sync_search_index(db: sqlite3.Connection, table: str, columns: tuple[str, ...],
                      triggers: Mapping[str, str], use_fts: bool) -> None:
    """Make `table`'s index (``TABLE_fts`` over `columns`, kept by `triggers`: name -> SQL)
    match `use_fts`. When the triggers come back, the index is rebuilt from the table."""
    index = f"{table}_fts"
    names = {row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE ?", (f"{index}%",))}
    if not use_fts:
        for trigger in triggers.keys() & names:
            db.execute(f"DROP TRIGGER {trigger}")
        return
    if index not in names:
        db.execute(f"CREATE VIRTUAL TABLE {index} USING fts5({', '.join(columns)}, "
                   f"content='{table}', content_rowid='id', "
                   "tokenize='unicode61 remove_diacritics 2')")
    if not triggers.keys() <= names:
        for trigger in triggers.keys() & names:
            db.execute(f"DROP TRIGGER {trigger}")
        for sql in triggers.values():
            db.execute(sql)
        db.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")
