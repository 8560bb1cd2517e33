"""The documents database's tables, its search index and its named migrations.

Search uses an FTS5 index over name and prompt where this SQLite has FTS5 (words match as
prefixes), and LIKE where it does not (words match as substrings), as history does; words of
one or two letters alone use LIKE either way (see `search_filter`). Triggers
keep the index in step; an update re-indexes a document only when its name or prompt changed,
so saving a long prompt whose settings changed costs no re-indexing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from playground.core import search_index
from playground.core.documents.document import (
    Completion,
    Document,
    DocumentSummary,
    check_completions,
)
from playground.core.errors import InvalidParameter
from playground.core.migrations import Migration

FILE_NAME = "documents.sqlite3"

#: The columns of `documents`, in the order `document_from_row` reads them.
COLUMNS = ("id", "name", "prompt", "model", "connection", "params", "routing", "preset", "mode",
           "created_at", "updated_at", "last_used_at", "completions", "extra", "template")
SUMMARY_COLUMNS = ("id", "name", "mode", "model", "connection",
                   "substr(prompt, 1, 200)", "created_at", "updated_at", "last_used_at")


def create_documents(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: a closed tab's id stays dead
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            prompt TEXT NOT NULL,
            model TEXT NOT NULL,                    -- empty: the connection's model
            connection TEXT NOT NULL,
            params TEXT NOT NULL,                   -- JSON: API field names (the catalog)
            routing TEXT NOT NULL,                  -- JSON: Routing, billing mode included
            preset TEXT,
            mode TEXT NOT NULL,                     -- two-pane or notebook
            created_at TEXT NOT NULL,               -- ISO 8601, UTC
            updated_at TEXT NOT NULL,
            last_used_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX documents_last_used ON documents(last_used_at, id)")


def add_search_index(db: sqlite3.Connection) -> None:
    """Without FTS5 this step is empty and search uses LIKE."""
    sync_search_index(db, search_index.fts5_available())


def migrations(adopt_draft: Callable[[sqlite3.Connection], None]) -> list[Migration]:
    """Append new steps at the end; never rename one (the name is what the database records)."""
    return [
        ("create the documents table", create_documents),
        ("index names and prompts for search", add_search_index),
        ("adopt the draft as the first document", adopt_draft),
        ("keep notebook completions with their versions", add_completions),
        ("keep each document's extra fields", add_extra),
        ("remember each document's instruct template", add_template),
    ]


def add_completions(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE documents ADD COLUMN completions TEXT NOT NULL DEFAULT '[]'")


def add_extra(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE documents ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'")


def add_template(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE documents ADD COLUMN template TEXT")


_TRIGGERS = {
    "documents_fts_insert": """CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents
        BEGIN
        INSERT INTO documents_fts(rowid, name, prompt) VALUES (new.id, new.name, new.prompt);
        END""",
    "documents_fts_delete": """CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents
        BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, name, prompt)
            VALUES ('delete', old.id, old.name, old.prompt);
        END""",
    "documents_fts_update": """CREATE TRIGGER documents_fts_update
        AFTER UPDATE OF name, prompt ON documents
        WHEN old.name IS NOT new.name OR old.prompt IS NOT new.prompt
        BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, name, prompt)
            VALUES ('delete', old.id, old.name, old.prompt);
        INSERT INTO documents_fts(rowid, name, prompt) VALUES (new.id, new.name, new.prompt);
        END""",
}


def sync_search_index(db: sqlite3.Connection, use_fts: bool) -> None:
    """The documents' search index, made to match `use_fts`."""
    search_index.sync_search_index(db, "documents", ("name", "prompt"), _TRIGGERS, use_fts)


#: The shortest word that makes a search use the FTS5 index (see `search_filter`).
FTS_MIN_WORD = 3


def search_filter(search: str | None, use_fts: bool) -> tuple[str, list[Any]]:
    """A WHERE clause matching every word of `search` in the name or the prompt.

    While every word is shorter than `FTS_MIN_WORD` (the first keystrokes in a search box),
    LIKE serves even with FTS5: so short a prefix matches nearly every document, which costs
    FTS5 a walk over most of its index, while the scan in last-used order stops at the limit."""
    words = (search or "").split()
    if not words:
        return "", []
    if use_fts and max(len(word) for word in words) >= FTS_MIN_WORD:
        query = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
        return "WHERE id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)", \
            [query]
    clauses, args = [], []
    for word in words:
        clauses.append("(name LIKE ? ESCAPE '\\' OR prompt LIKE ? ESCAPE '\\')")
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args += [pattern, pattern]
    return "WHERE " + " AND ".join(clauses), args


def document_from_row(row: tuple[Any, ...]) -> Document:
    v = dict(zip(COLUMNS, row, strict=True))
    return Document(id=v["id"], name=v["name"], prompt=v["prompt"], model=v["model"],
                    connection=v["connection"], params=json.loads(v["params"]),
                    routing=json.loads(v["routing"]), preset=v["preset"], mode=v["mode"],
                    completions=completions_from_text(v["completions"], v["prompt"]),
                    extra=json.loads(v["extra"]), template=v["template"],
                    created_at=v["created_at"], updated_at=v["updated_at"],
                    last_used_at=v["last_used_at"])


def completions_from_text(text: Any, prompt: str) -> tuple[Completion, ...]:
    """Stored completions that still match the prompt (one edited elsewhere, e.g. by the command
    line, loses its completions' tint and versions, never its text)."""
    try:
        return check_completions(json.loads(text), prompt)
    except (TypeError, ValueError, InvalidParameter):
        return ()


def summary_from_row(row: tuple[Any, ...]) -> DocumentSummary:
    (doc_id, name, mode, model, connection, preview, created, updated, used) = row
    return DocumentSummary(id=doc_id, name=name, mode=mode, model=model, connection=connection,
                           preview=preview, created_at=created, updated_at=updated,
                           last_used_at=used)


def row_values(document: Document) -> dict[str, Any]:
    """A document as the columns' values, for INSERT and UPDATE."""
    return {"id": document.id, "name": document.name, "prompt": document.prompt,
            "model": document.model, "connection": document.connection,
            "params": json.dumps(dict(document.params), ensure_ascii=False),
            "routing": json.dumps(dict(document.routing), ensure_ascii=False),
            "preset": document.preset, "mode": document.mode,
            "completions": json.dumps([c.to_json() for c in document.completions],
                                      ensure_ascii=False),
            "extra": json.dumps(dict(document.extra), ensure_ascii=False),
            "template": document.template,
            "created_at": document.created_at, "updated_at": document.updated_at,
            "last_used_at": document.last_used_at}
