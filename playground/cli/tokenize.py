"""``playground tokenize``: a prompt's tokens, ids and pieces, as the connection's tokenizer cuts
it (the local engine's, or llama.cpp's ``/tokenize``); elsewhere an estimate, said so."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from playground.cli.arguments import add_connection_args, connection_from_args
from playground.cli.exit_codes import EXIT_OK
from playground.cli.launch import api_key_for, base_url_for, insecure_key_allowed
from playground.core.client import CompletionClient
from playground.core.connections import Connection
from playground.core.token_spans import TokenSpan
from playground.core.tokenizing import Tokenized, can_ask, tokenized


def register(sub: Any) -> None:
    tokenize = sub.add_parser(
        "tokenize", help="show a prompt's tokens (ids and pieces)",
        description="Cut a prompt into tokens with the connection's tokenizer: the local "
                    "engine's, or a llama.cpp server's /tokenize. Other servers have none to "
                    "ask: the tokens are then an estimate, without ids.")
    tokenize.add_argument("--prompt", required=True, help="the text; '-' reads stdin")
    tokenize.add_argument("--model", help="model id (default: the connection's)")
    tokenize.add_argument("--json", action="store_true",
                          help="print a JSON object: exact, count and each token's id, text "
                               "(or bytes) and character offsets")
    add_connection_args(tokenize)
    tokenize.set_defaults(func=_cmd_tokenize)


def _cmd_tokenize(args: argparse.Namespace) -> int:
    connection = connection_from_args(args)
    text = sys.stdin.read() if args.prompt == "-" else args.prompt
    model = args.model or connection.model
    found = _tokenized(args, connection, text, model or None)
    spans, exact = found.spans, found.exact
    if not exact:
        print(f"playground: {found.why}; these tokens are an estimate, without ids",
              file=sys.stderr)
    if args.json:
        print(json.dumps({"exact": exact, "model": model, "count": len(spans),
                          "tokens": [_token_json(span) for span in spans]},
                         ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{len(spans)} tokens{'' if exact else ' (estimate)'}")
    for span in spans:
        token = "" if span.id is None else str(span.id)
        print(f"{token:>8}  {_shown(span.piece)}")
    return EXIT_OK


def _tokenized(args: argparse.Namespace, connection: Connection, text: str,
               model: str | None) -> Tokenized:
    """`text` cut by the connection's server where it can say, else estimated."""
    if not can_ask(connection):
        return asyncio.run(tokenized(None, connection, text, model))
    api_key = api_key_for(connection, args.allow_insecure_key)
    insecure_ok = insecure_key_allowed(connection, args.allow_insecure_key)

    async def ask(base_url: str) -> Tokenized:
        async with CompletionClient(base_url, api_key,
                                    allow_insecure_key=insecure_ok) as client:
            return await tokenized(client, connection, text, model)

    with base_url_for(connection) as base_url:
        return asyncio.run(ask(base_url))


def _token_json(span: TokenSpan) -> dict[str, Any]:
    try:
        piece: Any = span.piece.decode("utf-8")
    except UnicodeDecodeError:
        piece = list(span.piece)
    return {"id": span.id, "piece": piece, "start": span.start, "end": span.end}


def _shown(piece: bytes) -> str:
    """A piece with its whitespace visible."""
    try:
        return json.dumps(piece.decode("utf-8"), ensure_ascii=False)
    except UnicodeDecodeError:
        return "bytes " + " ".join(f"{b:02x}" for b in piece)
