"""DRY's sequence breakers: which tokens of the text lie in one, so no repeat runs across it.

A breaker is a string. A token whose own text holds one is a breaker wherever it stands
(`breaker_tokens`, over the vocabulary: a candidate that is one is never penalised). A breaker
the tokenizer splits over several tokens ("\\n\\n" as two "\\n", "User:" as "User" and ":")
is found in the text itself: `BreakMarks` marks every token that overlaps an occurrence, as the
text grows token by token and when generation goes back.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from playground.engine.text_model import Vocabulary

Mask = npt.NDArray[np.bool_]

_BREAKS: weakref.WeakKeyDictionary[Vocabulary, dict[tuple[str, ...], Mask]] = (
    weakref.WeakKeyDictionary())


def breaker_tokens(tokenizer: Vocabulary, breakers: tuple[str, ...]) -> Mask:
    """The tokens whose text holds one of `breakers`, over the vocabulary (kept per
    tokenizer, as a vocabulary of 49k tokens takes a moment to scan)."""
    known = _BREAKS.setdefault(tokenizer, {})
    if breakers not in known:
        wanted = [breaker.encode("utf-8", "surrogatepass") for breaker in breakers]
        known[breakers] = np.fromiter(
            (any(w in tokenizer.token_bytes(i) for w in wanted)
             for i in range(tokenizer.vocab_size)), dtype=bool, count=tokenizer.vocab_size)
    return known[breakers]


class BreakMarks:
    """Per position of the text, whether its token lies in a breaker."""

    def __init__(self, breakers: Iterable[str], single: Mask, piece: Callable[[int], str],
                 tokens: Iterable[int] = ()) -> None:
        """`single`: `breaker_tokens`; `piece`: a token's text."""
        self.spanning = tuple(b for b in breakers if len(b) > 1)
        self.longest = max((len(b) for b in self.spanning), default=0)
        self.single = single
        self.piece = piece
        self.tokens: list[int] = []
        self.pieces: list[str] = []
        self._marks = np.zeros(64, dtype=bool)
        self.extend(tokens)

    @property
    def marks(self) -> Mask:
        return self._marks[:len(self.pieces)]

    def extend(self, tokens: Iterable[int]) -> None:
        for token in tokens:
            self._append(token)

    def cut(self, length: int) -> None:
        """Forget the positions from `length` on (generation went back). A breaker that ended
        in them may have marked the last tokens kept: those are marked again."""
        kept = self.tokens[:length]
        first = self._reach(length)
        del self.tokens[first:]
        del self.pieces[first:]
        self.extend(kept[first:])

    def _reach(self, end: int) -> int:
        """The first of the tokens before position `end` that a breaker ending after them can
        reach back into."""
        first, size = end, 0
        while first > 0 and size < self.longest - 1:
            first -= 1
            size += len(self.pieces[first])
        return first

    def _append(self, token: int) -> None:
        at = len(self.pieces)
        if at == len(self._marks):
            self._marks = np.concatenate([self._marks, np.zeros(at, dtype=bool)])
        piece = self.piece(token)
        self.tokens.append(token)
        self.pieces.append(piece)
        self._marks[at] = self.single[token]
        if not self.spanning or not piece:
            return
        first = self._reach(at)
        window = "".join(self.pieces[first:])
        starts = np.cumsum([0, *(len(p) for p in self.pieces[first:at])])
        new_from = len(window) - len(piece)
        for breaker in self.spanning:
            pos = window.find(breaker, max(0, new_from - len(breaker) + 1))
            while pos >= 0:
                end = pos + len(breaker)
                lo = int(np.searchsorted(starts, pos, side="right")) - 1
                hi = int(np.searchsorted(starts, end, side="left"))
                self._marks[first + lo:first + hi] = True
                pos = window.find(breaker, pos + 1)
