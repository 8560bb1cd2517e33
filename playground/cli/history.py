"""``playground history …``: the record of every run, from the window and the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from playground.cli.exit_codes import EXIT_OK
from playground.cli.output import first_line, print_json
from playground.core.history import History, RunRecord


def register(subparsers: Any) -> None:
    history = subparsers.add_parser("history", help="list and show past runs",
                                    description="Every run is recorded (never the key).")
    actions = history.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list runs, newest first")
    listing.add_argument("--search", metavar="TEXT",
                         help="full-text search over prompts and outputs")
    listing.add_argument("--model", help="only runs of this model")
    listing.add_argument("--preset", help="only runs made with this preset")
    listing.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="show one run in full")
    show.add_argument("id", type=int, help="the run's number, as history list shows it")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_show)


def _open() -> History:
    history = History()
    if history.problem:
        print(f"playground: {history.problem}", file=sys.stderr)
    return history


def run_list(args: argparse.Namespace) -> int:
    with _open() as history:
        records = history.list(search=args.search, model=args.model, preset=args.preset,
                               limit=args.limit)
    if args.json:
        print_json([r.to_dict() for r in records])
        return EXIT_OK
    for record in records:
        print(f"{record.id:>5}  {record.created_at[:19]}  {record.status:<9}  "
              f"{record.model:<28.28}  {first_line(record.prompt, 40)!r}")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    with _open() as history:
        record = history.get(args.id)
    if args.json:
        print_json(record.to_dict())
        return EXIT_OK
    print(describe(record))
    return EXIT_OK


def describe(record: RunRecord) -> str:
    settings = {k: v for k, v in record.request.items() if k not in ("prompt", "stream")}
    lines = [f"Run {record.id} · {record.created_at} · {record.connection} · {record.status}",
             f"settings: {json.dumps(settings, ensure_ascii=False)}"]
    if record.preset:
        lines.append(f"preset: {record.preset}")
    if record.error:
        lines.append(f"error: {record.error.get('message')}")
    lines += ["--- prompt ---", record.prompt, "--- output ---", record.output]
    return "\n".join(lines)

