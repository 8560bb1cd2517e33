"""Command-line hooks for the engine: ``serve``, ``engine train``, ``engine add`` and
``engine list``.

`register` adds them to the app's argparse subparsers; each sets ``func`` to a callable that
takes the parsed arguments and returns an exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8765
#: Where `serve` reads its key from when --api-key is not given.
KEY_ENV = "PLAYGROUND_ENGINE_API_KEY"


def register(subparsers: Any) -> None:
    """Add ``serve`` and ``engine {train,list}`` to an ``add_subparsers()`` object."""
    serve = subparsers.add_parser(
        "serve", help="run the built-in local engine (an OpenAI-compatible completions server)",
        description="Serve the local engine's /v1/completions until interrupted. Its models "
                    "are small n-gram models for offline exploration, not LLMs.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT,
                       help="port to bind, 0 for any free port (default %(default)s)")
    serve.add_argument("--any-port-if-busy", action="store_true",
                       help="if --port is taken, bind any free port instead of failing (the "
                            "first line printed says which)")
    serve.add_argument("--api-key", default=os.environ.get(KEY_ENV) or None, metavar="KEY",
                       help="answer only requests that send 'Authorization: Bearer KEY' (or "
                            f"X-API-Key); default: ${KEY_ENV}, which keeps the key out of the "
                            "process list")
    serve.add_argument("--insecure-no-key", action="store_true",
                       help="allow an address other than loopback without --api-key, so that "
                            "anyone who can reach it can use it")
    serve.add_argument("--exit-on-stdin-eof", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=run_serve)

    engine = subparsers.add_parser("engine", help="manage the local engine's models")
    actions = engine.add_subparsers(dest="engine_command", required=True)
    train = actions.add_parser("train", help="build a model from your own text files",
                               description="Build an n-gram model from text files; it is "
                                           "then served as local/NAME.")
    train.add_argument("files", nargs="+", type=Path, metavar="FILE",
                       help="UTF-8 text files to learn from")
    train.add_argument("--name", required=True, help="model name (served as local/NAME)")
    train.set_defaults(func=run_train)
    add = actions.add_parser("add", help="serve a GGUF model file (llama.cpp runs it)",
                             description="Register a GGUF file as local/NAME; the file stays "
                                         "where it is. Running it needs llama-cpp-python "
                                         "(sh packaging/bootstrap.sh model).")
    add.add_argument("file", type=Path, metavar="FILE.gguf", help="the model file")
    add.add_argument("--name", required=True, help="model name (served as local/NAME)")
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="list the local engine's models",
                                 description="One model per line: its id, its context length "
                                             "in tokens and its name.")
    listing.set_defaults(func=run_list)


def run_serve(args: argparse.Namespace) -> int:
    from playground.engine.guard import is_loopback
    from playground.engine.server import serve

    if not (args.api_key or args.insecure_no_key or is_loopback(args.host)):
        print(f"error: --host {args.host} would let anyone who can reach it use this engine; "
              f"give it a key (--api-key KEY, or ${KEY_ENV}) or say --insecure-no-key",
              file=sys.stderr)
        return 2

    def announce(url: str) -> None:
        print(f"Local engine serving at {url}", flush=True)

    serve(args.host, args.port, announce=announce, api_key=args.api_key,
          exit_on_stdin_eof=args.exit_on_stdin_eof, any_port_if_busy=args.any_port_if_busy)
    return 0


def run_train(args: argparse.Namespace) -> int:
    from playground.engine.store import train_from_files

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        print(f"error: not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        info = train_from_files(args.files, args.name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Built {info.model_id}: {info.training_tokens} tokens from {info.documents} "
          f"file(s), vocabulary {info.vocab_size}, order {info.order}, "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from playground.engine.store import add_gguf

    try:
        listing = add_gguf(args.file, args.name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Added {listing.model_id}: {listing.name}, a context of {listing.context_length} "
          f"tokens ({args.file} stays where it is)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from playground.engine.store import listings

    found = listings()
    width = max(len(listing.model_id) for listing in found)
    for listing in found:
        print(f"{listing.model_id:<{width}}  {listing.context_length:>6}  {listing.name}")
    return 0
