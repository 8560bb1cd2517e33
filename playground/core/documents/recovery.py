"""Reading what can still be read from a damaged documents database.

The file is opened read-only, its schema read leniently. Rows are read in rowid order until the
first error; after that each remaining rowid up to the highest one the file still knows is asked
for on its own, so a damaged page loses the documents stored on it and no others. Values are
taken leniently (a missing or mistyped column gets its default, and the store reports that
document as recovered in part): a prompt is worth more with a default model than not at all.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.documents.schema import COLUMNS

#: When the damaged file no longer says how many rows it had, rowids this far past the last
#: readable one are tried.
PROBE_WITHOUT_END = 10_000


@dataclass
class Salvage:
    rows: list[dict[str, Any]] = field(default_factory=list)
    unreadable: int = 0  # rows the file still lists but whose data could not be read
    reason: str | None = None  # why nothing at all could be read


def read_damaged(path: Path) -> Salvage:
    """Every `documents` row of the file at `path` that SQLite can still read."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return Salvage(reason=str(exc))
    try:
        # Read the schema leniently: one damaged entry (a search index table's) would
        # otherwise make every table unreadable. The connection is read-only all the same.
        db.execute("PRAGMA writable_schema = ON")
        return _read(db)
    except sqlite3.Error as exc:
        return Salvage(reason=str(exc))
    finally:
        db.close()


def _read(db: sqlite3.Connection) -> Salvage:
    present = [row[1] for row in db.execute("PRAGMA table_info(documents)")]
    if "id" not in present:
        return Salvage(reason="it has no documents table that can be read")
    columns = [c for c in COLUMNS if c in present]
    select = f"SELECT {', '.join(columns)} FROM documents"
    salvage = Salvage()
    last = 0
    try:
        for row in db.execute(f"{select} ORDER BY id"):
            _keep(salvage, columns, row)
            last = max(last, row[0]) if isinstance(row[0], int) else last
        return salvage
    except sqlite3.DatabaseError:
        pass
    for rowid in range(last + 1, _highest_id(db, last) + 1):
        try:
            row = db.execute(f"{select} WHERE id = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            salvage.unreadable += 1
            continue
        if row is not None:
            _keep(salvage, columns, row)
    return salvage


def _keep(salvage: Salvage, columns: list[str], row: tuple[Any, ...]) -> None:
    """A damaged page can yield rows made of zeros: a row needs a real id and some text."""
    values = dict(zip(columns, row, strict=True))
    if isinstance(values["id"], int) and values["id"] > 0 and any(
            isinstance(values.get(key), str) and values[key] for key in ("name", "prompt")):
        salvage.rows.append(values)


def _highest_id(db: sqlite3.Connection, last: int) -> int:
    for sql in ("SELECT seq FROM sqlite_sequence WHERE name = 'documents'",
                "SELECT max(id) FROM documents"):
        with contextlib.suppress(sqlite3.DatabaseError):
            row = db.execute(sql).fetchone()
            if row and isinstance(row[0], int) and row[0] > last:
                return int(row[0])
    return last + PROBE_WITHOUT_END


def lenient_fields(row: dict[str, Any]) -> dict[str, Any]:
    """A recovered row as content fields and timestamps, each of the right type or left out
    (the store then uses its default). Params and routing are checked when they are stored."""
    out: dict[str, Any] = {}
    for key in ("name", "prompt", "model", "connection", "preset", "template", "mode",
                "created_at", "updated_at", "last_used_at"):
        if isinstance(row.get(key), str):
            out[key] = row[key]
    for key, kind in (("params", dict), ("routing", dict), ("completions", list),
                      ("extra", dict)):
        with contextlib.suppress(TypeError, ValueError):
            value = json.loads(row[key]) if isinstance(row.get(key), str) else None
            if isinstance(value, kind):
                out[key] = value
    return out
