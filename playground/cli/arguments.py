"""Command-line arguments more than one command takes: the connection, and extra fields."""

from __future__ import annotations

import argparse
import sys

from playground.core.connections import DIALECTS, Connection, ConnectionStore, adhoc
from playground.core.errors import InvalidParameter


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--connection", metavar="NAME",
                       help="connection to use: local (built-in engine, default), nanogpt, "
                            "or a saved one")
    group.add_argument("--base-url", metavar="URL",
                       help="an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--dialect", choices=DIALECTS, default=None,
                        help="with --base-url: the server's parameter names and support "
                             "(default nanogpt)")
    parser.add_argument("--allow-insecure-key", action="store_true",
                        help="send the connection's key even over plain http to a host that "
                             "is not loopback (it crosses the network unencrypted)")


def add_set_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set-json", dest="extra", action="append", default=[],
                        metavar="KEY=JSON",
                        help="send a field the sampler catalog does not have, as written "
                             "(VALUE must be JSON), after the fields translated for the "
                             "server; kept with the run in history (repeatable)")


def connection_from_args(args: argparse.Namespace, default: str = "local") -> Connection:
    if args.base_url:
        return adhoc(args.base_url, args.dialect or "nanogpt")
    if args.dialect:
        raise InvalidParameter("dialect", "dialect: --dialect goes with --base-url; a saved "
                                          "connection has its own")
    store = ConnectionStore()
    try:
        return store.get(args.connection or default)
    finally:
        for problem in store.problems:  # e.g. why the connection asked for is missing
            print(f"playground: {problem}", file=sys.stderr)
