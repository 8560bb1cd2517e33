"""Documents as JSON, to move them between machines or keep them with a project.

``{"version": 1, "documents": [{name, mode, prompt, model, connection, params, routing, preset,
created_at, updated_at, last_used_at}, …]}``. No ids (they are local) and no keys (a document
has none; a field that is not a document's is refused on import, so nothing else rides along).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from playground.core.documents.document import (
    CONTENT_FIELDS,
    TIMESTAMP_FIELDS,
    Document,
    check_content,
)
from playground.core.errors import InvalidParameter

VERSION = 1


def export_text(documents: Iterable[Document]) -> str:
    data = {"version": VERSION, "documents": [document.to_json() for document in documents]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Entry:
    """One document of an import file, checked: its content fields and timestamps."""

    index: int
    fields: dict[str, Any]


@dataclass
class ImportReport:
    imported: list[Document] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (name in the file, new name)
    problems: list[str] = field(default_factory=list)  # one per entry left out

    def lines(self) -> list[str]:
        out = [f"imported {d.name!r}" for d in self.imported]
        out += [f"{old!r} exists already; imported as {new!r}" for old, new in self.renamed]
        return out + [f"left out {problem}" for problem in self.problems]


def parse_import(text: str) -> tuple[list[Entry], list[str]]:
    """The entries that passed every check, and one problem per entry that did not (by index
    and name). A file that is not an export at all raises `InvalidParameter` ("file")."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidParameter("file", f"file: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise InvalidParameter("file", 'file: not a documents export (expected an object with '
                               '"version" and a "documents" list)')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidParameter("version", f"version: {version!r} is not a version number")
    if version > VERSION:
        raise InvalidParameter("version", f"version: the file is from a newer version of the "
                               f"app (format {version}; this one reads up to {VERSION})")
    entries: list[Entry] = []
    problems: list[str] = []
    for index, item in enumerate(data["documents"]):
        try:
            entries.append(Entry(index, check_entry(item)))
        except InvalidParameter as exc:
            problems.append(f"{_label(index, item)}: {exc.message}")
    return entries, problems


def check_entry(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidParameter("document", "must be an object")
    unknown = sorted(set(item) - set(CONTENT_FIELDS) - set(TIMESTAMP_FIELDS))
    if unknown:
        raise InvalidParameter(unknown[0], f"{unknown[0]}: not a field of a document (known: "
                               f"{', '.join(CONTENT_FIELDS + TIMESTAMP_FIELDS)})")
    if "name" not in item:
        raise InvalidParameter("name", "name: the document has no name")
    content = {k: v for k, v in item.items() if k in CONTENT_FIELDS}
    checked = check_content(content)
    for key in TIMESTAMP_FIELDS:
        if item.get(key) is not None:
            checked[key] = check_timestamp(key, item[key])
    return checked


def check_timestamp(key: str, value: Any) -> str:
    """An ISO 8601 time, stored as UTC with milliseconds (so that stored times sort as text);
    a time without a zone is taken as UTC."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None:
        raise InvalidParameter(key, f"{key}: {value!r} is not an ISO 8601 time "
                               "(e.g. 2025-01-31T12:00:00Z)")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def _label(index: int, item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return f"documents[{index}] {name!r}" if isinstance(name, str) else f"documents[{index}]"
