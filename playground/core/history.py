"""History: every run, from the window or the CLI, in SQLite (``data_dir()/history.sqlite3``).

One row per run: when, where (connection), the model, the request body exactly as sent (it never
holds a key; keys travel in headers, which are not stored), the routing needed to send it again,
the output (partial if the run was stopped or failed), finish reason, usage, timings, cost,
error, the preset it used, the comparison group it belongs to and the run it branched from.

The schema grows by named migrations (`MIGRATIONS`, through the shared `core.migrations`;
databases of earlier versions, numbered in ``PRAGMA user_version``, are adopted). The
user_version still counts the steps applied, so an older version of the app opening a newer
database refuses it instead of misreading it.
Search uses an FTS5 index over prompt and output where this SQLite has FTS5, and LIKE where it
does not; the index is kept in step by triggers and rebuilt if it ever fell behind.
"""

from __future__ import annotations

import builtins
import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playground.core import migrations
from playground.core.catalog import BY_NAME
from playground.core.errors import InvalidParameter, PlaygroundError
from playground.core.extra_fields import OWN, ROUTING, is_extension
from playground.core.migrations import Migration, NewerDatabase, transaction
from playground.core.paths import data_dir
from playground.core.request import CompletionRequest, build_request
from playground.core.routing import Routing, parse_routing_object
from playground.core.runs import RunResult
from playground.core.search_index import fts5_available, sync_search_index
from playground.core.storage import CorruptFile, set_aside

FILE_NAME = "history.sqlite3"
#: The most ids one query binds (SQLite's oldest builds allow 999 parameters).
_IDS_PER_QUERY = 500


def _create_runs(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,           -- ISO 8601, UTC
            connection TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt TEXT NOT NULL,
            output TEXT NOT NULL,               -- partial when stopped or failed
            request TEXT NOT NULL,              -- JSON: the body as sent
            routing TEXT NOT NULL,              -- JSON: provider, X-Provider, billing mode
            finish_reason TEXT,
            usage TEXT,                         -- JSON
            ttft_ms REAL,
            total_ms REAL,
            tokens_per_s REAL,
            cost REAL,
            error TEXT,                         -- JSON
            cancelled INTEGER NOT NULL DEFAULT 0,
            request_id TEXT,
            preset TEXT,
            group_id TEXT,
            parent_id INTEGER REFERENCES runs(id) ON DELETE SET NULL
        )""")
    for column in ("model", "preset", "group_id", "parent_id"):
        db.execute(f"CREATE INDEX runs_{column} ON runs({column})")


def _add_full_text_index(db: sqlite3.Connection) -> None:
    """Version 2 added search. Without FTS5 this step is empty and search uses LIKE."""
    _sync_fts(db, fts5_available())


def _add_dialect_notes(db: sqlite3.Connection) -> None:
    """Version 3 keeps which dialect a run was sent in and what translating to it changed."""
    db.execute("ALTER TABLE runs ADD COLUMN dialect TEXT NOT NULL DEFAULT 'nanogpt'")
    db.execute("ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '[]'")  # a JSON list


def _add_variant(db: sqlite3.Connection) -> None:
    """Version 4 keeps which column of a comparison a run was: the column's overrides."""
    db.execute("ALTER TABLE runs ADD COLUMN variant TEXT")


#: The schema's steps, in order; the first four were numbered 1 to 4 before they had names.
MIGRATIONS: tuple[Migration, ...] = (
    ("create runs", _create_runs),
    ("add full-text index", _add_full_text_index),
    ("add dialect and notes", _add_dialect_notes),
    ("add compare variant", _add_variant),
)

_FTS_TRIGGERS = {
    "runs_fts_insert": """CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
        INSERT INTO runs_fts(rowid, prompt, output) VALUES (new.id, new.prompt, new.output);
        END""",
    "runs_fts_delete": """CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN
        INSERT INTO runs_fts(runs_fts, rowid, prompt, output)
            VALUES ('delete', old.id, old.prompt, old.output);
        END""",
    "runs_fts_update": """CREATE TRIGGER runs_fts_update AFTER UPDATE OF prompt, output ON runs
        BEGIN
        INSERT INTO runs_fts(runs_fts, rowid, prompt, output)
            VALUES ('delete', old.id, old.prompt, old.output);
        INSERT INTO runs_fts(rowid, prompt, output) VALUES (new.id, new.prompt, new.output);
        END""",
}


def _sync_fts(db: sqlite3.Connection, use_fts: bool) -> None:
    sync_search_index(db, "runs", ("prompt", "output"), _FTS_TRIGGERS, use_fts)


class HistoryError(PlaygroundError):
    """The history database cannot be used (e.g. it was written by a newer version)."""


_KEY_LIKE = re.compile(r"sk-nano-[0-9A-Za-z-]{8,}|sk-[0-9A-Za-z_-]{16,}|(?i:bearer)\s+\S+")


def _redact(value: Any) -> Any:
    """Servers sometimes quote the key they refused in the error message; never store it."""
    if isinstance(value, str):
        return _KEY_LIKE.sub("[redacted]", value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    return value


#: The history group of a notebook completion's versions (Regenerate); comparisons' groups
#: start with "cmp-".
VERSIONS_PREFIX = "versions-"


def new_versions_group() -> str:
    return f"{VERSIONS_PREFIX}{uuid.uuid4().hex[:12]}"


def is_versions_group(group: str | None) -> bool:
    return bool(group) and str(group).startswith(VERSIONS_PREFIX)


@dataclass(frozen=True)
class RunRecord:
    id: int
    created_at: str
    connection: str
    model: str
    prompt: str
    output: str
    request: dict[str, Any]
    routing: dict[str, Any]
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    ttft_ms: float | None = None
    total_ms: float | None = None
    tokens_per_s: float | None = None
    cost: float | None = None
    error: dict[str, Any] | None = None
    cancelled: bool = False
    request_id: str | None = None
    preset: str | None = None
    group: str | None = None
    parent: int | None = None
    dialect: str = "nanogpt"
    notes: tuple[str, ...] = ()  # what translating the request into `dialect` changed
    variant: str | None = None  # a comparison's column: its overrides ("" for the base)

    @property
    def status(self) -> str:
        """``cancelled``, ``error`` or ``ok``."""
        return "cancelled" if self.cancelled else "error" if self.error else "ok"

    def params(self) -> dict[str, Any]:
        """The sampler parameters the run was sent with (API field names)."""
        return {k: v for k, v in self.request.items() if k in BY_NAME}

    def to_routing(self) -> Routing:
        provider = self.routing.get("provider")
        return Routing(
            provider=parse_routing_object(provider) if isinstance(provider, dict) else provider,
            header_provider=self.routing.get("header_provider"),
            billing_mode=self.routing.get("billing_mode"),
            billing_as_header=bool(self.routing.get("billing_as_header", False)))

    def to_request(self) -> CompletionRequest:
        """The run's request, to restore it on screen or send it again. Raises
        `InvalidParameter` if a value is no longer allowed by the catalog."""
        return build_request(self.prompt, self.model, self.params(), self.to_routing(),
                             stream=bool(self.request.get("stream", False)),
                             extensions=self.extensions(), dialect=self.dialect,
                             extra=self.extra())

    def extensions(self) -> dict[str, Any]:
        """The app's own extension fields the run was sent with (`is_extension`)."""
        return {k: v for k, v in self.request.items() if is_extension(k)}

    def extra(self) -> dict[str, Any]:
        """The extra fields (`extra_fields`) the run was sent with: the rest of its body."""
        known = {*BY_NAME, *OWN, *ROUTING}
        return {k: v for k, v in self.request.items()
                if k not in known and not is_extension(k)}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


class History:
    """The run history. Opening a database that is not one (or is damaged) sets it aside and
    starts a fresh one; `problem` then says what happened."""

    def __init__(self, path: Path | None = None, *, use_fts: bool | None = None) -> None:
        self.path = path or data_dir() / FILE_NAME
        self.problem: str | None = None
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                raise
            # Closing the last connection to it removed its -wal and -shm files.
            moved = set_aside(self.path)
            self.problem = str(CorruptFile(self.path, moved, str(exc)))
            self._db = self._open()
        self.use_fts = fts5_available() if use_fts is None else use_fts
        with transaction(self._db):
            _sync_fts(self._db, self.use_fts)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # writing

    def record(self, request: CompletionRequest, result: RunResult, *, connection: str,
               preset: str | None = None, group: str | None = None,
               parent: int | None = None, variant: str | None = None) -> int:
        """Store one finished (or stopped, or failed) run; returns its id."""
        routing = request.routing.model_dump(mode="json", exclude_none=True)
        error = _redact(result.error.to_dict()) if result.error else None
        row = {
            "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "connection": connection, "model": request.model.compose(),
            "prompt": request.prompt, "output": result.text,
            "request": json.dumps(request.body(), ensure_ascii=False),
            "routing": json.dumps(routing, ensure_ascii=False),
            "finish_reason": result.finish_reason,
            "usage": _dumps(result.usage.to_dict() if result.usage else None),
            "ttft_ms": _round(result.ttft_ms), "total_ms": _round(result.elapsed_ms),
            "tokens_per_s": _round(result.tokens_per_s), "cost": result.cost,
            "error": _dumps(error), "cancelled": int(result.cancelled),
            "request_id": result.request_id, "preset": preset, "group_id": group,
            "parent_id": parent, "dialect": request.dialect,
            "notes": json.dumps(request.translation().notes, ensure_ascii=False),
            "variant": variant,
        }
        columns = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        try:
            with transaction(self._db):
                cursor = self._db.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)
        except sqlite3.IntegrityError:
            raise InvalidParameter("parent", f"parent: no run #{parent} in history") from None
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def delete(self, ids: Iterable[int]) -> int:
        """Delete runs; returns how many existed. Runs branched from them keep no parent."""
        with transaction(self._db):
            cursor = self._db.executemany("DELETE FROM runs WHERE id = ?",
                                          [(int(i),) for i in ids])
        return cursor.rowcount

    # reading

    def get(self, run_id: int) -> RunRecord:
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise InvalidParameter("id", f"id: no run #{run_id} in history")
        return _record(row)

    def list(self, search: str | None = None, model: str | None = None,
             preset: str | None = None, limit: int = 50, offset: int = 0) -> list[RunRecord]:
        """Runs, newest first. `search` matches every word (as a prefix with FTS5, as a
        substring without) in the prompt or the output."""
        where, args = self._filters(search, model, preset)
        rows = self._db.execute(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                (*args, limit, offset))
        return [_record(row) for row in rows]

    def count(self, search: str | None = None, model: str | None = None,
              preset: str | None = None) -> int:
        where, args = self._filters(search, model, preset)
        return int(self._db.execute(f"SELECT count(*) FROM runs {where}", args).fetchone()[0])

    def group(self, group_id: str) -> builtins.list[RunRecord]:
        """The runs of one comparison, in the order they were recorded."""
        rows = self._db.execute("SELECT * FROM runs WHERE group_id = ? ORDER BY id", (group_id,))
        return [_record(row) for row in rows]

    def branch_counts(self, ids: Iterable[int]) -> dict[int, int]:
        """How many runs branch from each of `ids` that has any (ids without branches are
        left out), whatever filter the runs are listed with."""
        wanted = sorted({int(i) for i in ids})
        counts: dict[int, int] = {}
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            counts.update(self._db.execute(
                f"SELECT parent_id, count(*) FROM runs WHERE parent_id IN ({marks}) "
                "GROUP BY parent_id", chunk).fetchall())
        return counts

    def models(self) -> builtins.list[str]:
        """Every model in the history, for the filter."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT model FROM runs ORDER BY model")]

    def presets(self) -> builtins.list[str]:
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT preset FROM runs WHERE preset IS NOT NULL ORDER BY preset")]

    def _filters(self, search: str | None, model: str | None,
                 preset: str | None) -> tuple[str, builtins.list[Any]]:
        clauses: builtins.list[str] = []
        args: builtins.list[Any] = []
        words = (search or "").split()
        if words and self.use_fts:
            clauses.append("id IN (SELECT rowid FROM runs_fts WHERE runs_fts MATCH ?)")
            args.append(" ".join('"' + w.replace('"', '""') + '"*' for w in words))
        elif words:
            for word in words:
                clauses.append("(prompt LIKE ? ESCAPE '\\' OR output LIKE ? ESCAPE '\\')")
                pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
                args += [pattern, pattern]
        if model is not None:
            clauses.append("model = ?")
            args.append(model)
        if preset is not None:
            clauses.append("preset = ?")
            args.append(preset)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), args

    # export

    def _many(self, ids: Iterable[int]) -> builtins.list[RunRecord]:
        return [self.get(i) for i in sorted(set(ids))]

    def export_json(self, ids: Iterable[int]) -> str:
        runs = [record.to_dict() for record in self._many(ids)]
        return json.dumps({"version": 1, "runs": runs}, indent=2, ensure_ascii=False) + "\n"

    def export_markdown(self, ids: Iterable[int]) -> str:
        return "\n".join(_markdown(record) for record in self._many(ids))


def migrate(db: sqlite3.Connection, upto: str | None = None) -> list[str]:
    """Apply the steps the database has not had (up to the one named `upto`), one transaction
    each; returns the names applied now."""
    try:
        done = migrations.migrate(db, MIGRATIONS, upto=upto, adopt_user_version=True,
                                  what="the history database")
    except NewerDatabase as exc:
        raise HistoryError(str(exc)) from None
    db.execute(f"PRAGMA user_version = {len(migrations.applied(db))}")
    return done


def _dumps(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


_COLUMNS = ("id", "created_at", "connection", "model", "prompt", "output", "request",
            "routing", "finish_reason", "usage", "ttft_ms", "total_ms", "tokens_per_s", "cost",
            "error", "cancelled", "request_id", "preset", "group_id", "parent_id", "dialect",
            "notes", "variant")


def _record(row: tuple[Any, ...]) -> RunRecord:
    v = dict(zip(_COLUMNS, row, strict=True))
    return RunRecord(
        id=v["id"], created_at=v["created_at"], connection=v["connection"], model=v["model"],
        prompt=v["prompt"], output=v["output"], request=json.loads(v["request"]),
        routing=json.loads(v["routing"]), finish_reason=v["finish_reason"],
        usage=_loads(v["usage"]), ttft_ms=v["ttft_ms"], total_ms=v["total_ms"],
        tokens_per_s=v["tokens_per_s"], cost=v["cost"], error=_loads(v["error"]),
        cancelled=bool(v["cancelled"]), request_id=v["request_id"], preset=v["preset"],
        group=v["group_id"], parent=v["parent_id"], dialect=v["dialect"],
        notes=tuple(json.loads(v["notes"])), variant=v["variant"])


def _fence(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def _markdown(run: RunRecord) -> str:
    usage = run.usage or {}
    rows = [("Time", run.created_at), ("Connection", run.connection), ("Status", run.status),
            ("Finish reason", run.finish_reason), ("Preset", run.preset),
            ("Prompt tokens", usage.get("prompt_tokens")),
            ("Completion tokens", usage.get("completion_tokens")),
            ("First token", f"{run.ttft_ms:g} ms" if run.ttft_ms is not None else None),
            ("Total", f"{run.total_ms:g} ms" if run.total_ms is not None else None),
            ("Speed", f"{run.tokens_per_s:g} tok/s" if run.tokens_per_s is not None else None),
            ("Cost", f"${run.cost:g}" if run.cost is not None else None),
            ("Versions" if is_versions_group(run.group) else "Comparison", run.group),
            ("Column", None if run.variant is None else run.variant or "(base)"),
            ("Branch of", f"run {run.parent}" if run.parent else None)]
    table = ["| | |", "|---|---|"]
    table += [f"| {name} | {_cell(value)} |" for name, value in rows if value is not None]
    parts = [f"## Run {run.id}: {_cell(run.model)}", "", *table, ""]
    if run.error:
        parts += [f"**Error:** {_cell(run.error.get('message'))}", ""]
    parts += ["### Prompt", "", _fence(run.prompt), "", "### Output", "", _fence(run.output), "",
              "### Request", "", _fence(json.dumps(run.request, indent=2, ensure_ascii=False),
                                        "json"), ""]
    return "\n".join(parts)
