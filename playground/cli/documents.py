"""``playground documents …``: list, show, export, import, delete and rename documents."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from playground.cli.exit_codes import EXIT_INPUT, EXIT_OK
from playground.cli.output import first_line, print_json
from playground.core.documents import Document, DocumentStore
from playground.core.errors import InvalidParameter
from playground.core.storage import atomic_write_text


def register(subparsers: Any) -> None:
    documents = subparsers.add_parser(
        "documents", help="list, show, export, import, delete and rename documents",
        description="A document is a prompt with its model, connection, parameters and "
                    "routing, as a tab of the window shows it. NAME is a document's name "
                    "(case does not matter) or its number.")
    actions = documents.add_subparsers(dest="documents_command", required=True,
                                       metavar="ACTION")
    listing = actions.add_parser("list", help="list documents, the last used first")
    listing.add_argument("--search", metavar="TEXT",
                         help="only documents with every word in the name or the prompt")
    listing.add_argument("--limit", type=int, help="at most this many")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="show one document: its settings and prompt")
    show.add_argument("name", metavar="NAME", help="the document's name or number")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_show)
    exp = actions.add_parser("export", help="export documents as JSON (never a key)")
    exp.add_argument("names", nargs="*", metavar="NAME",
                     help="the documents' names or numbers (default: all)")
    exp.add_argument("-o", "--output", type=Path, metavar="FILE",
                     help="where to write it (default: stdout)")
    exp.set_defaults(func=run_export)
    imp = actions.add_parser(
        "import", help="import documents from an export; a name taken already gets a "
                       "suffix, a bad entry is reported and the others imported")
    imp.add_argument("file", metavar="FILE", help="the JSON file; '-' reads stdin")
    imp.set_defaults(func=run_import)
    delete = actions.add_parser("delete", help="delete documents")
    delete.add_argument("names", nargs="+", metavar="NAME",
                        help="the documents' names or numbers (none is deleted unless all "
                             "are found)")
    delete.set_defaults(func=run_delete)
    rename = actions.add_parser("rename", help="rename a document (names are unique)")
    rename.add_argument("name", metavar="NAME", help="the document's name or number")
    rename.add_argument("new_name", metavar="NEW_NAME", help="its new name")
    rename.set_defaults(func=run_rename)


def _open() -> DocumentStore:
    store = DocumentStore()
    for problem in store.problems:
        print(f"playground: {problem}", file=sys.stderr)
    return store


def run_list(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 0:
        raise InvalidParameter("limit", "limit: must be 0 or more")
    with _open() as store:
        summaries = store.list(args.search, limit=args.limit)
    if args.json:
        print_json([{"id": s.id, "name": s.name, "mode": s.mode, "model": s.model,
                     "connection": s.connection, "created_at": s.created_at,
                     "updated_at": s.updated_at, "last_used_at": s.last_used_at}
                    for s in summaries])
        return EXIT_OK
    width = max((len(s.name) for s in summaries), default=0)
    for s in summaries:
        print(f"{s.id:>5}  {s.last_used_at[:16].replace('T', ' ')}  {s.mode:<8}  "
              f"{s.name:<{width}}  {first_line(s.preview, 40)!r}")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    with _open() as store:
        document = store.resolve(args.name)
    if args.json:
        print_json({"id": document.id, **document.to_json()})
        return EXIT_OK
    print(describe(document))
    return EXIT_OK


def describe(document: Document) -> str:
    lines = [f"{document.name} (#{document.id}) · {document.mode} · {document.connection} · "
             f"{document.model or 'the connection’s model'}"]
    if document.preset:
        lines.append(f"preset: {document.preset}")
    lines += [f"  {name} = {json.dumps(value, ensure_ascii=False)}"
              for name, value in document.params.items()] or ["  (every parameter unset)"]
    routing = document.to_routing()
    lines += [f"  {key}: {json.dumps(value)}"
              for key, value in (routing.body() | routing.headers()).items()]
    lines += [f"created {document.created_at}, last used {document.last_used_at}",
              "--- prompt ---", document.prompt]
    return "\n".join(lines)


def run_export(args: argparse.Namespace) -> int:
    with _open() as store:
        ids = [store.resolve(name).id for name in args.names] if args.names else None
        text = store.export_json(ids)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    atomic_write_text(args.output, text)
    count = len(json.loads(text)["documents"])
    print(f"Exported {count} document{'s' * (count != 1)} to {args.output}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else _read(Path(args.file))
    with _open() as store:
        report = store.import_json(text)
    for document in report.imported:
        print(f"Imported {document.name!r}")
    for old, new in report.renamed:
        print(f"  {old!r} exists already; imported as {new!r}")
    for problem in report.problems:
        print(f"playground: left out {problem}", file=sys.stderr)
    return EXIT_INPUT if report.problems else EXIT_OK


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidParameter("file", f"file: cannot read {path}: {reason}") from None


def run_delete(args: argparse.Namespace) -> int:
    with _open() as store:
        documents = [store.resolve(name) for name in args.names]  # all found, or none deleted
        for document in documents:
            store.delete(document.id)
            print(f"Deleted {document.name!r}")
    return EXIT_OK


def run_rename(args: argparse.Namespace) -> int:
    with _open() as store:
        document = store.resolve(args.name)
        renamed = store.rename(document.id, args.new_name)
    print(f"Renamed {document.name!r} to {renamed.name!r}")
    return EXIT_OK

