"""A prompt's tokens as the connection's server cuts it, where it can say, for the token view and
``playground tokenize``: exact through the local engine's and llama.cpp's ``/tokenize``, and
through koboldcpp's token ids with each token's text looked up; otherwise estimated, with why.
Placing tens of thousands of tokens runs off the calling thread."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from playground.core.client import CompletionClient
from playground.core.connections import Connection
from playground.core.errors import PlaygroundError
from playground.core.token_spans import TokenSpan, estimated_spans, exact_spans


@dataclass(frozen=True)
class Tokenized:
    spans: list[TokenSpan]
    exact: bool
    why: str = ""  # for an estimate: why it is one


def can_ask(connection: Connection) -> bool:
    """Whether the connection's server can say how it cuts a text into tokens."""
    return connection.tokenizes or connection.dialect == "koboldcpp"


async def tokenized(client: CompletionClient | None, connection: Connection, text: str,
                    model: str | None) -> Tokenized:
    """`text` cut as `client`'s server cuts it (None: no server to ask, an estimate)."""
    why = f"{connection.name} has no tokenizer to ask"
    pieces: list[tuple[int, bytes]] | None = None
    try:
        if client is not None and connection.tokenizes:  # llama.cpp's /tokenize
            pieces = await client.token_pieces(text, model)
            why = f"{connection.name}'s token pieces do not add up to the text"
        elif client is not None and connection.dialect == "koboldcpp":
            ids, pieces = await client.kobold_token_pieces(text)
            why = (f"{connection.name} counts {len(ids):,} tokens exactly, but "
                   + ("the prompt has too many distinct tokens to look each one up"
                      if pieces is None else "its tokens' own texts do not add up to the text"))
    except PlaygroundError as exc:
        why = f"{connection.name} did not tokenize it ({exc})"
    if pieces is not None:
        exact = await asyncio.to_thread(exact_spans, text, pieces)
        if exact is not None:
            return Tokenized(exact, True)
    return Tokenized(await asyncio.to_thread(estimated_spans, text), False, why)
