"""The document store: every document in SQLite, ``data_dir()/documents.sqlite3``.

Its own file beside the history, so damage to one cannot take the other with it. WAL with
``synchronous=NORMAL``: a save is one small UPDATE, committed in well under a millisecond, that a
killed process never loses (a power cut may lose the last moments, never the file).

Opening a file that is damaged sets it aside (renamed, as every unreadable file is), starts a
fresh one and copies into it every document the damaged file still yields; `problems` says what
happened. The first time the store is created, the working draft of earlier versions becomes its
first document; the draft file is only read, so an older version still finds it.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playground.core.catalog import validate_params
from playground.core.documents import schema
from playground.core.documents.document import (
    DEFAULT_NAME,
    TIMESTAMP_FIELDS,
    Document,
    DocumentSummary,
    Mode,
    check_content,
    check_name,
)
from playground.core.documents.names import copy_name, free_name
from playground.core.documents.recovery import lenient_fields, read_damaged
from playground.core.documents.transfer import (
    ImportReport,
    check_timestamp,
    export_text,
    parse_import,
)
from playground.core.draft import Draft, DraftStore
from playground.core.errors import InvalidParameter
from playground.core.migrations import migrate, transaction
from playground.core.paths import data_dir
from playground.core.search_index import fts5_available
from playground.core.storage import CorruptFile, set_aside

#: The name the draft of earlier versions gets as a document.
DRAFT_NAME = "Draft"


class _Damaged(Exception):
    """SQLite's own check found the file damaged."""


class DocumentStore:
    def __init__(self, path: Path | None = None, *, draft_path: Path | None = None,
                 use_fts: bool | None = None) -> None:
        self.path = path or data_dir() / schema.FILE_NAME
        self.draft_path = DraftStore(draft_path).path
        self.use_fts = fts5_available() if use_fts is None else use_fts
        #: What went wrong on opening (a damaged file, an unreadable draft), for the banner.
        self.problems: builtins.list[str] = []
        self._salvaged: builtins.list[dict[str, Any]] = []
        try:
            self._db = self._open()
        except (sqlite3.DatabaseError, _Damaged) as exc:
            if not _is_damage(exc):
                raise
            self._db = self._replace_damaged(str(exc))
        with transaction(self._db):
            schema.sync_search_index(self._db, self.use_fts)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise _Damaged(verdict)
            migrate(db, schema.migrations(self._adopt_draft), what="the documents database")
        except BaseException:
            db.close()
            raise
        return db

    def _replace_damaged(self, reason: str) -> sqlite3.Connection:
        moved = set_aside(self.path)
        for suffix in ("-wal", "-shm"):  # they belong to the damaged file, not the fresh one
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                side.replace(moved.with_name(moved.name + suffix))
        salvage = read_damaged(moved)
        self._salvaged = salvage.rows
        db = self._open()
        self._db = db
        partial = self._restore(salvage.rows)
        recovered = len(salvage.rows)
        message = str(CorruptFile(self.path, moved, reason))
        message += f"; {recovered} document{'s' * (recovered != 1)} recovered from it"
        if partial:
            shown = ", ".join(repr(name) for name in partial[:5])
            message += (f" ({len(partial)} only in part, a damaged value replaced by its "
                        f"default: {shown}{', …' if len(partial) > 5 else ''})")
        if salvage.unreadable:
            message += f", {salvage.unreadable} could not be read"
        self.problems.append(message)
        return db

    def _restore(self, rows: Iterable[dict[str, Any]]) -> builtins.list[str]:
        """Store recovered rows under their own ids; returns the names of those that came
        back only in part."""
        partial: builtins.list[str] = []
        with transaction(self._db):
            for row in rows:
                raw = lenient_fields(row)
                fields, dropped = _lenient(raw, fallback_name=f"Recovered {row['id']}")
                fields["name"] = free_name(fields["name"], self._taken)
                self._insert(fields, doc_id=row["id"])
                if dropped or not raw.keys() >= _REQUIRED:
                    partial.append(fields["name"])
        return partial

    def _adopt_draft(self, db: sqlite3.Connection) -> None:
        """A migration: the draft becomes the first document of a new store (not of one being
        rebuilt from a damaged file: that one had its documents, the draft among them)."""
        if self._salvaged or db.execute("SELECT 1 FROM documents LIMIT 1").fetchone():
            return
        draft, problem = _read_draft(self.draft_path)
        if problem:
            self.problems.append(problem)
        if draft is None:
            return
        fields, dropped = _lenient({"name": DRAFT_NAME, "prompt": draft.prompt,
                                    "model": draft.model, "connection": draft.connection,
                                    "params": draft.params, "routing": draft.routing},
                                   fallback_name=DRAFT_NAME)
        if dropped:
            self.problems.append(f"the draft's {', '.join(dropped)}: not valid any more, left "
                                 "out of its document")
        self._insert(fields, db=db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DocumentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # reading

    def get(self, doc_id: int) -> Document:
        row = self._db.execute(f"SELECT {', '.join(schema.COLUMNS)} FROM documents "
                               "WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise InvalidParameter("id", f"id: no document #{doc_id}")
        return schema.document_from_row(row)

    def find(self, name: str) -> Document:
        """The document of that name (ignoring case)."""
        row = self._db.execute(f"SELECT {', '.join(schema.COLUMNS)} FROM documents "
                               "WHERE name = ?", (name.strip(),)).fetchone()
        if row is None:
            raise InvalidParameter("name", f"name: no document named {name!r}")
        return schema.document_from_row(row)

    def resolve(self, ref: str) -> Document:
        """A document by name, or else by its number (``12`` or ``#12``), as the CLI takes it."""
        try:
            return self.find(ref)
        except InvalidParameter:
            number = ref.strip().removeprefix("#")
            if not number.isdigit():
                raise
            try:
                return self.get(int(number))
            except InvalidParameter:
                raise InvalidParameter("name", f"name: no document named {ref!r} and none "
                                       f"numbered {number}") from None

    def list(self, search: str | None = None, *, limit: int | None = None,
             offset: int = 0) -> builtins.list[DocumentSummary]:
        """Documents, the most recently used first. `search` matches every word in the name
        or the prompt (as a word's start with FTS5, anywhere without)."""
        rows = self._search(f"SELECT {', '.join(schema.SUMMARY_COLUMNS)} FROM documents",
                            search, "ORDER BY last_used_at DESC, id DESC LIMIT ? OFFSET ?",
                            [-1 if limit is None else limit, offset])
        return [schema.summary_from_row(row) for row in rows]

    def count(self, search: str | None = None) -> int:
        return int(self._search("SELECT count(*) FROM documents", search, "", [])[0][0])

    def _search(self, select: str, search: str | None, tail: str,
                args: builtins.list[Any]) -> builtins.list[tuple[Any, ...]]:
        where, where_args = schema.search_filter(search, self.use_fts)
        try:
            return self._db.execute(f"{select} {where} {tail}", [*where_args, *args]).fetchall()
        except sqlite3.OperationalError:
            if not self.use_fts:
                raise
            # FTS5 refuses a few queries (e.g. only punctuation): plain matching finds them.
            where, where_args = schema.search_filter(search, use_fts=False)
            return self._db.execute(f"{select} {where} {tail}", [*where_args, *args]).fetchall()

    # writing

    def create(self, name: str | None = None, *, prompt: str = "", model: str = "",
               connection: str = "local", params: Mapping[str, Any] | None = None,
               routing: Mapping[str, Any] | None = None, preset: str | None = None,
               mode: Mode = "two-pane", extra: Mapping[str, Any] | None = None,
               template: str | None = None) -> Document:
        """A new document, used now. Without a name it is "Untitled" (or "Untitled (2)", …);
        a name already taken is refused."""
        fields = check_content({"prompt": prompt, "model": model, "connection": connection,
                                "params": params or {}, "routing": routing or {},
                                "preset": preset, "mode": mode, "extra": extra or {},
                                "template": template})
        with transaction(self._db):
            if name is None:
                fields["name"] = free_name(DEFAULT_NAME, self._taken)
            else:
                fields["name"] = self._free(check_name(name))
            return self._insert(fields)

    def save(self, document: Document) -> Document:
        """Store the document's content (not its name: `rename` changes that) as one small
        transaction; it counts as a use. Returns it with its new times. Meant to run a moment
        after the last edit, on the thread that edits."""
        fields = check_content({key: getattr(document, key) for key in
                                ("prompt", "model", "connection", "params", "routing",
                                 "preset", "mode", "completions", "extra", "template")})
        now = self._use_time()
        cursor = self._db.execute(
            "UPDATE documents SET prompt = :prompt, model = :model, connection = :connection, "
            "params = :params, routing = :routing, preset = :preset, mode = :mode, "
            "completions = :completions, extra = :extra, template = :template, "
            "updated_at = :now, "
            "last_used_at = :now WHERE id = :id",
            {**fields, "params": _json(fields["params"]), "routing": _json(fields["routing"]),
             "completions": _json([c.to_json() for c in fields["completions"]]),
             "extra": _json(fields["extra"]),
             "now": now, "id": document.id})
        if cursor.rowcount == 0:
            raise InvalidParameter("id", f"id: no document #{document.id} (it was deleted)")
        name = self._db.execute("SELECT name FROM documents WHERE id = ?",
                                (document.id,)).fetchone()[0]  # a rename elsewhere wins
        return replace(document, name=name, **fields, updated_at=now, last_used_at=now)

    def rename(self, doc_id: int, name: str) -> Document:
        """Names are unique, ignoring case; a name taken by another document is refused."""
        new = check_name(name)
        with transaction(self._db):
            clash = self._db.execute("SELECT name FROM documents WHERE name = ? AND id != ?",
                                     (new, doc_id)).fetchone()
            if clash:
                raise InvalidParameter("name", f"name: a document named {clash[0]!r} exists "
                                       "already; choose another name")
            cursor = self._db.execute("UPDATE documents SET name = ?, updated_at = ? "
                                      "WHERE id = ?", (new, _now(), doc_id))
            if cursor.rowcount == 0:
                raise InvalidParameter("id", f"id: no document #{doc_id}")
        return self.get(doc_id)

    def clone(self, doc_id: int, name: str | None = None) -> Document:
        """A copy with the same prompt and settings, named "NAME (copy)" (then "(copy 2)", …)
        unless `name` is given; it is used now."""
        with transaction(self._db):
            source = self.get(doc_id)
            new_name = copy_name(source.name, self._taken) if name is None else \
                self._free(check_name(name))
            fields = {key: getattr(source, key) for key in
                      ("prompt", "model", "connection", "params", "routing", "preset", "mode",
                       "completions", "extra", "template")}
            return self._insert({**fields, "name": new_name})

    def delete(self, doc_id: int) -> None:
        cursor = self._db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        if cursor.rowcount == 0:
            raise InvalidParameter("id", f"id: no document #{doc_id}")

    def touch(self, doc_id: int) -> None:
        """Mark the document used now (opened, switched to), so it lists first."""
        cursor = self._db.execute("UPDATE documents SET last_used_at = ? WHERE id = ?",
                                  (self._use_time(), doc_id))
        if cursor.rowcount == 0:
            raise InvalidParameter("id", f"id: no document #{doc_id}")

    # export and import

    def export_json(self, ids: Iterable[int] | None = None) -> str:
        """The given documents (all, the most recently used first, when `ids` is None) as JSON
        with a version field. Never a key: a document holds none."""
        if ids is None:
            rows = self._db.execute(f"SELECT {', '.join(schema.COLUMNS)} FROM documents "
                                    "ORDER BY last_used_at DESC, id DESC")
            return export_text(schema.document_from_row(row) for row in rows)
        return export_text(self.get(doc_id) for doc_id in ids)

    def import_json(self, text: str) -> ImportReport:
        """Add the documents of an export. Every field is checked (parameters by the catalog);
        an entry that fails is left out and reported by index and name while the others are
        imported, in one transaction. A name taken already gets a suffix: "NAME (2)"."""
        entries, problems = parse_import(text)
        report = ImportReport(problems=problems)
        with transaction(self._db):
            for entry in entries:
                wanted = entry.fields["name"]
                fields = {**entry.fields, "name": free_name(wanted, self._taken)}
                if fields["name"] != wanted:
                    report.renamed.append((wanted, fields["name"]))
                report.imported.append(self._insert(fields))
        return report

    # helpers

    def _use_time(self, db: sqlite3.Connection | None = None) -> str:
        """Now, or just after the latest use if that is not earlier (a clock that did not
        move, or was set back): the last document used always lists first."""
        now = datetime.now(UTC)
        latest = (db or self._db).execute("SELECT max(last_used_at) FROM documents").fetchone()[0]
        with contextlib.suppress(TypeError, ValueError):
            after = datetime.fromisoformat(latest) + timedelta(milliseconds=1)
            now = max(now, after)
        return now.isoformat(timespec="milliseconds")

    def _taken(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM documents WHERE name = ?",
                                (name,)).fetchone() is not None

    def _free(self, name: str) -> str:
        if self._taken(name):
            raise InvalidParameter("name", f"name: a document named {name!r} exists already; "
                                   "choose another name")
        return name

    def _insert(self, fields: Mapping[str, Any], *, doc_id: int | None = None,
                db: sqlite3.Connection | None = None) -> Document:
        """Insert checked fields; absent ones get their defaults and absent times are now."""
        now = self._use_time(db)
        document = Document(id=doc_id or 0, name=fields["name"])
        document = replace(document, **{k: v for k, v in fields.items() if k != "name"})
        document = replace(document, created_at=document.created_at or now,
                           updated_at=document.updated_at or now,
                           last_used_at=document.last_used_at or now)
        values = schema.row_values(document)
        if doc_id is None:
            del values["id"]
        for column in ("completions", "extra", "template"):  # the columns' defaults, which older
            if not getattr(document, column):  # steps of the migration lack
                del values[column]
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        cursor = (db or self._db).execute(
            f"INSERT INTO documents ({columns}) VALUES ({marks})", values)
        assert cursor.lastrowid is not None
        return replace(document, id=cursor.lastrowid)


#: What a whole row has (a preset may be absent).
_REQUIRED = frozenset(schema.COLUMNS) - {"id", "preset", "completions", "extra", "template"}


def _is_damage(exc: BaseException) -> bool:
    if isinstance(exc, _Damaged):
        return True
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _read_draft(path: Path) -> tuple[Draft | None, str | None]:
    """The draft file, only read: not even an unreadable one is moved, so that an older version
    of the app finds it as it left it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, (f"{path.name} could not be read ({exc}); no document was made from it "
                      "and it was left as it is")
    return Draft.from_json(data), None


def _lenient(data: Mapping[str, Any], *, fallback_name: str) -> tuple[dict[str, Any],
                                                                          builtins.list[str]]:
    """Checked fields from what an older file or a damaged database held: a field (or a single
    parameter) that fails its check is left out, and named in the list returned."""
    out: dict[str, Any] = {}
    dropped: builtins.list[str] = []
    for key, value in data.items():
        if key == "params" and isinstance(value, Mapping):
            kept = {}
            for name, item in value.items():
                try:
                    validate_params({name: item})
                except InvalidParameter:
                    dropped.append(f"parameter {name}")
                else:
                    kept[name] = item
            value = kept
        try:
            out.update({key: check_timestamp(key, value)} if key in TIMESTAMP_FIELDS
                       else check_content({key: value}))
        except InvalidParameter:
            dropped.append(key)
    out.setdefault("name", fallback_name)
    return out, dropped


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")

