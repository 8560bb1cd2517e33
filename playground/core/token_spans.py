"""Where each token of a text lies: character spans for the prompt's token view.

Exact spans come from a tokenizer's pieces as bytes (`CompletionClient.token_pieces`): they
add up to the text's UTF-8, so a token covers the characters its bytes fall in; tokens that
split one character (a byte-level tokenizer on an emoji) share it. Without a tokenizer the
spans are estimated the way `token_estimate` counts: chunks as byte-level tokenizers cut text,
long ones split every four characters (ASCII) or every character (other scripts).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from playground.core.token_estimate import ASCII_CHARS_PER_TOKEN, chunks


@dataclass(frozen=True)
class TokenSpan:
    start: int  # character offsets in the text
    end: int
    id: int | None  # None: an estimate, no tokenizer said which token
    piece: bytes


def exact_spans(text: str, pieces: Sequence[tuple[int, bytes]]) -> list[TokenSpan] | None:
    """Each token's characters; None when the pieces do not add up to `text` (the tokenizer
    added or changed something, e.g. a start-of-text token)."""
    data = text.encode("utf-8", "surrogatepass")
    if b"".join(piece for _, piece in pieces) != data:
        return None
    # byte offset at which each character starts, and the end
    starts = list(itertools.accumulate((len(c.encode("utf-8", "surrogatepass")) for c in text),
                                       initial=0))
    spans = []
    at = 0
    for token, piece in pieces:
        end = at + len(piece)
        first = bisect.bisect_right(starts, at) - 1
        last = bisect.bisect_left(starts, end)
        spans.append(TokenSpan(first, max(last, first + 1) if piece else first, token, piece))
        at = end
    return spans


def estimated_spans(text: str) -> list[TokenSpan]:
    """About where a byte-level tokenizer would cut `text` (see `token_estimate`)."""
    spans = []
    for at, chunk in chunks(text):
        step = ASCII_CHARS_PER_TOKEN if chunk.isascii() else 1
        for offset in range(0, len(chunk), step):
            piece = chunk[offset:offset + step]
            spans.append(TokenSpan(at + offset, at + offset + len(piece), None,
                                   piece.encode("utf-8", "surrogatepass")))
    return spans


def in_utf16(text: str, spans: Sequence[TokenSpan]) -> list[TokenSpan]:
    """The spans with their offsets counted in UTF-16 code units, as Qt's text positions count
    them (a character beyond U+FFFF, an emoji, takes two)."""
    if text.isascii() or all(ord(c) <= 0xFFFF for c in text):
        return list(spans)
    units = list(itertools.accumulate((2 if ord(c) > 0xFFFF else 1 for c in text), initial=0))
    return [TokenSpan(units[s.start], units[s.end], s.id, s.piece) for s in spans]


def utf16_length(text: str) -> int:
    """How many positions `text` takes in a Qt text document."""
    return len(text.encode("utf-16-le")) // 2


def span_at(spans: Sequence[TokenSpan], starts: Sequence[int], offset: int) -> int | None:
    """The index of the span holding character `offset` (`starts`: the spans' starts)."""
    index = bisect.bisect_right(starts, offset) - 1
    if 0 <= index < len(spans) and spans[index].start <= offset < spans[index].end:
        return index
    return None
