"""``playground connections list|add|remove|set|test``: manage where requests go.

`register` adds the commands to the app's argparse subparsers; each sets ``func`` to a callable
that takes the parsed arguments and returns an exit code (0 ok, 1 API or network error). Bad
input raises `InvalidParameter` naming the field, which the entry point turns into exit code 2.
Keys are never stored here: they live in the keyring or the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from playground.cli.exit_codes import EXIT_API, EXIT_OK
from playground.cli.launch import api_key_for, base_url_for, insecure_key_allowed
from playground.core.connection_check import probe
from playground.core.connections import BUILTIN, DIALECTS, Connection, ConnectionStore
from playground.core.detect import DETECT, FALLBACK, detect
from playground.core.errors import ApiError, InvalidParameter
from playground.core.key_policy import decide
from playground.core.keys import KeyStore


def register(subparsers: Any) -> None:
    """Add ``connections {list,add,remove,set,test}`` to an ``add_subparsers()`` object."""
    connections = subparsers.add_parser(
        "connections", help="list, add, remove or test connections",
        description="Connections are where requests go: the built-in local engine, NanoGPT, "
                    "or any OpenAI-compatible completions server.")
    actions = connections.add_subparsers(dest="connections_command", required=True,
                                         metavar="ACTION")

    listing = actions.add_parser("list", help="list the connections")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)

    add = actions.add_parser("add", help="save a connection to an OpenAI-compatible server",
                             description="Save a connection (never its key: set that in the "
                                         "app's Settings or the environment).")
    add.add_argument("name", metavar="NAME", help="letters, digits, '-', '_' or '.'")
    add.add_argument("--base-url", required=True, metavar="URL",
                     help="the server's base URL as written for OpenAI SDKs, e.g. "
                          "http://127.0.0.1:8080/v1")
    add.add_argument("--dialect", default=DETECT, metavar="D",
                     help="which parameter names the server speaks: "
                          f"{', '.join(DIALECTS)}, or {DETECT} to ask the server (the "
                          "default; plain openai when it cannot tell)")
    add.add_argument("--model", metavar="M", help="the model to use when none is chosen")
    add.set_defaults(func=run_add)

    remove = actions.add_parser("remove", help="delete a saved connection")
    remove.add_argument("name", metavar="NAME", help="the connection to remove")
    remove.set_defaults(func=run_remove)

    change = actions.add_parser(
        "set", help="change a connection's settings",
        description="Change a setting of a saved or built-in connection: its sweeps' "
                    "concurrency, and for NanoGPT whether undocumented fields are sent.")
    change.add_argument("name", metavar="NAME", help="the connection, e.g. nanogpt")
    change.add_argument("--concurrency", type=int, metavar="K",
                        help="how many runs of a sweep go to this server at once (0: the "
                             "default, 4)")
    change.add_argument("--send-undocumented", choices=("yes", "no"),
                        help="also send the sampler fields NanoGPT's API does not document "
                             "(DRY, XTC, sampler_order, ...), for providers behind it that "
                             "take them; no (the default) leaves them out")
    change.set_defaults(func=run_set)

    test = actions.add_parser("test", help="fetch the models and run a 1-token completion",
                              description="Check a connection: fetch its model list, run a "
                                          "1-token completion and report the latency of each.")
    test.add_argument("name", metavar="NAME", help="the connection to test")
    test.add_argument("--allow-insecure-key", action="store_true",
                      help="send the connection's key even over plain http to a host that is "
                           "not loopback (it crosses the network unencrypted)")
    test.set_defaults(func=run_test)


def run_list(args: argparse.Namespace) -> int:
    store = ConnectionStore()
    connections = store.all()
    _report(store)
    if args.json:
        print(json.dumps([{**c.model_dump(), "send_undocumented": c.send_undocumented,
                           "model": c.model or None} for c in connections], indent=2))
        return EXIT_OK
    rows = [("NAME", "KIND", "DIALECT", "BASE URL", "MODEL")]
    rows += [(c.name, c.kind, c.dialect + (" + undocumented" if c.send_undocumented else ""),
              c.base_url or "(started on demand)", c.model or "-") for c in connections]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[-1])
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    detecting = args.dialect == DETECT
    connection = Connection.checked(name=args.name, kind="custom", base_url=args.base_url,
                                    dialect=FALLBACK if detecting else args.dialect,
                                    default_model=args.model)
    ConnectionStore.check_addable(connection.name)
    if detecting:
        assert connection.base_url is not None
        key = decide(connection, KeyStore()).key
        detection = asyncio.run(detect(connection.base_url, key))
        print(f"{connection.name}: {detection.note}")
        connection = connection.model_copy(update={"dialect": detection.dialect})
    store = ConnectionStore()
    replaced = any(c.name == connection.name for c in store.custom())
    _report(store)  # entries left out are kept in the file as they are
    store.add(connection)
    print(f"{'Updated' if replaced else 'Saved'} connection {connection.name}: "
          f"{connection.base_url} ({connection.dialect})")
    return EXIT_OK


def _report(store: ConnectionStore) -> None:
    for problem in store.problems:
        print(f"playground: {problem}", file=sys.stderr)


def run_remove(args: argparse.Namespace) -> int:
    store = ConnectionStore()
    if any(c.name == args.name for c in BUILTIN):
        raise InvalidParameter("connection", f"connection: {args.name!r} is built in and "
                               "cannot be removed")
    if all(c.name != args.name for c in store.custom()):
        store.get(args.name)  # raises, listing the known names
    store.remove(args.name)
    KeyStore().delete(args.name)  # a new connection of that name must not inherit it
    print(f"Removed connection {args.name}")
    return EXIT_OK


def run_set(args: argparse.Namespace) -> int:
    store = ConnectionStore()
    if args.concurrency is None and args.send_undocumented is None:
        raise InvalidParameter("set", "set: give --concurrency K or --send-undocumented yes|no")
    if args.concurrency is not None:
        changed = store.set_concurrency(args.name, args.concurrency or None)
        print(f"{changed.name}: sweeps send {changed.concurrency or 'the default 4'} runs "
              "at once")
    if args.send_undocumented is not None:
        changed = store.send_undocumented(args.name, args.send_undocumented == "yes")
        print(f"{changed.name} {'now sends' if changed.send_undocumented else 'no longer sends'}"
              " the fields NanoGPT does not document")
    return EXIT_OK


def run_test(args: argparse.Namespace) -> int:
    connection = ConnectionStore().get(args.name)
    api_key = api_key_for(connection, args.allow_insecure_key)
    insecure_ok = insecure_key_allowed(connection, args.allow_insecure_key)
    with base_url_for(connection) as base_url:
        where = f"{connection.name} ({base_url}, dialect {connection.dialect})"
        try:
            found = asyncio.run(probe(base_url, api_key, connection.model, insecure_ok))
        except ApiError as exc:
            print(f"playground: {where} failed: {exc}", file=sys.stderr)
            if exc.hint:
                print(f"playground: hint: {exc.hint}", file=sys.stderr)
            return EXIT_API
    shown = ", ".join(found.models[:5]) + (", ..." if len(found.models) > 5 else "")
    print(f"ok: {where}")
    print(f"  models: {len(found.models)} in {found.models_ms:.0f} ms ({shown or 'none listed'})")
    print(f"  completion: {found.text!r} from {found.model} in {found.completion_ms:.0f} ms "
          f"(finish: {found.finish_reason or 'not given'})")
    return EXIT_OK

