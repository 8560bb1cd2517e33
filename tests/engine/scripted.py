"""A model whose next-token distribution a test writes down: a small vocabulary of strings and
a function from the text so far to weights. For stages whose edge cases need an exact
distribution (banned phrases' backtracking), where the n-gram model's would be guesswork."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt

from playground.engine.utf8 import Utf8Guard

EOT = "<eot>"


class ScriptedVocabulary:
    def __init__(self, pieces: Sequence[str | bytes]) -> None:
        self.pieces = [p if isinstance(p, bytes) else p.encode() for p in (*pieces, EOT)]

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    @property
    def eot_id(self) -> int:
        return len(self.pieces) - 1

    def id(self, piece: str | bytes) -> int:
        return self.pieces.index(piece if isinstance(piece, bytes) else piece.encode())

    def encode(self, text: str) -> list[int]:
        """Greedy longest match (the prompt need not be tokenised as a model would)."""
        data, out = text.encode(), []
        while data:
            best = max((i for i, p in enumerate(self.pieces[:-1]) if p and data.startswith(p)),
                       key=lambda i: len(self.pieces[i]))
            out.append(best)
            data = data[len(self.pieces[best]):]
        return out

    def decode(self, ids: Iterable[int]) -> str:
        return b"".join(self.pieces[i] for i in ids if i != self.eot_id).decode(
            errors="replace")

    def token_bytes(self, token: int) -> bytes:
        return b"" if token == self.eot_id else self.pieces[token]

    def token_text(self, token: int) -> str:
        return self.token_bytes(token).decode(errors="replace")

    @cached_property
    def utf8_guard(self) -> Utf8Guard:
        return Utf8Guard([self.token_bytes(i) for i in range(self.vocab_size)], self.eot_id)


class ScriptedModel:
    """`script(text)` gives weights for some pieces (the rest get none); an empty mapping
    ends the text."""

    def __init__(self, pieces: Sequence[str | bytes],
                 script: Callable[[str], Mapping[str | bytes, float]]) -> None:
        self.tokenizer = ScriptedVocabulary(pieces)
        self.script = script
        self.calls: list[str] = []

    @property
    def context_length(self) -> int:
        return 4096

    def next_probs(self, tokens: Sequence[int]) -> npt.NDArray[np.float64]:
        text = self.tokenizer.decode(tokens)
        self.calls.append(text)
        weights = np.full(self.tokenizer.vocab_size, 1e-9)
        wanted = self.script(text) or {EOT: 1.0}
        for piece, weight in wanted.items():
            weights[self.tokenizer.id(piece)] = weight
        result: npt.NDArray[np.float64] = weights / weights.sum()
        return result
