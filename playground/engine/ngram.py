"""An interpolated Kneser-Ney n-gram model over token ids.

A small statistical model for offline exploration, not an LLM: it predicts the next token from
the previous ``order - 1`` tokens only, but it does give a full probability distribution over
the whole vocabulary at every step, which is all a sampler needs.

For a history ``h`` (its shorter suffix ``h'``) and token ``w``::

    P(w | h) = max(c(h w) - D, 0) / c(h) + D * N1+(h .) / c(h) * P(w | h')

where ``c`` is the raw count at the highest order and the continuation count (how many different
tokens precede the n-gram) below it, ``N1+(h .)`` is the number of different tokens seen after
``h``, and ``D = n1 / (n1 + 2 n2)`` per order. The unigram level is interpolated with the uniform
distribution, so no token ever has probability zero. Unseen histories back off to ``h'``.

Tables are stored per order as sorted packed-context keys with CSR slices of (token, weight),
so one step costs a binary search and a scatter-add per order on a dense vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Bits per token in a packed key: 5 tokens x 12 bits fit in an int64.
TOKEN_BITS = 12
MAX_VOCAB = 1 << TOKEN_BITS
MAX_ORDER = 5

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class OrderTable:
    """Histories of one length: sorted packed keys, and per history a slice of
    `tokens`/`weights` (the discounted probabilities) plus its back-off weight `gamma`."""

    keys: Ints
    starts: Ints
    tokens: Ints  # int64 and float64 weights: scatter-adds are 4x faster than with int16/float32
    weights: Floats
    gamma: Floats


class NgramModel:
    """Next-token distributions from an interpolated Kneser-Ney table set."""

    def __init__(self, unigram: Floats, tables: Sequence[OrderTable], pad: int) -> None:
        self.unigram = unigram
        self.tables = tuple(tables)  # tables[i] holds histories of length i + 1
        self.order = len(self.tables) + 1
        self.vocab_size = len(unigram)
        self.pad = pad

    def history(self, tokens: Sequence[int]) -> list[int]:
        """The last ``order - 1`` tokens, padded on the left with the document-start token."""
        need = self.order - 1
        tail = list(tokens[-need:]) if need else []
        return [self.pad] * (need - len(tail)) + tail

    def probs(self, tokens: Sequence[int]) -> Floats:
        """P(next | tokens) over the whole vocabulary (a new array summing to 1)."""
        history = self.history(tokens)
        found: list[tuple[OrderTable, int]] = []
        key = 0
        for length, table in enumerate(self.tables, start=1):
            key |= history[-length] << (TOKEN_BITS * (length - 1))
            index = int(table.keys.searchsorted(key))
            if index == len(table.keys) or table.keys[index] != key:
                break  # a longer history containing an unseen one is unseen too
            found.append((table, index))
        # Unrolled recursion, longest history first: each level's back-off weight scales
        # everything below it, so only one dense operation is needed.
        scale = 1.0
        sparse: list[tuple[Ints, Floats]] = []
        for table, index in reversed(found):
            start, end = table.starts[index], table.starts[index + 1]
            sparse.append((table.tokens[start:end], scale * table.weights[start:end]))
            scale *= float(table.gamma[index])
        p = scale * self.unigram
        for ids, weights in sparse:
            p[ids] += weights
        return p

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        out: dict[str, npt.NDArray[np.generic]] = {"unigram": self.unigram}
        for length, table in enumerate(self.tables, start=1):
            for field in ("keys", "starts", "tokens", "weights", "gamma"):
                out[f"h{length}_{field}"] = getattr(table, field)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]], order: int,
                    pad: int) -> NgramModel:
        tables = [OrderTable(keys=np.asarray(arrays[f"h{n}_keys"], dtype=np.int64),
                             starts=np.asarray(arrays[f"h{n}_starts"], dtype=np.int64),
                             tokens=np.asarray(arrays[f"h{n}_tokens"], dtype=np.int64),
                             weights=np.asarray(arrays[f"h{n}_weights"], dtype=np.float64),
                             gamma=np.asarray(arrays[f"h{n}_gamma"], dtype=np.float64))
                  for n in range(1, order)]
        return cls(np.asarray(arrays["unigram"], dtype=np.float64), tables, pad)


def build_ngram(documents: Sequence[Sequence[int]], vocab_size: int, order: int,
                boundary: int) -> NgramModel:
    """Count n-grams of `documents` (token ids) and turn them into a model.

    Each document is preceded by ``order - 1`` `boundary` tokens (the end-of-text token, which
    doubles as document start) and followed by one, so the model learns how documents begin
    and when they end."""
    if not 2 <= order <= MAX_ORDER:
        raise ValueError(f"order must be 2 to {MAX_ORDER}")
    if vocab_size > MAX_VOCAB:
        raise ValueError(f"vocabulary of {vocab_size} exceeds {MAX_VOCAB} tokens")
    pad = [boundary] * (order - 1)
    stream = np.fromiter((t for doc in documents for t in (*pad, *doc, boundary)),
                         dtype=np.int64)
    grams = [_distinct(stream, n) for n in range(1, order + 1)]  # grams[n-1]: n-grams
    mask = [(1 << (TOKEN_BITS * n)) - 1 for n in range(order + 1)]
    # continuation counts: how many distinct tokens precede each n-gram (for n < order)
    continuation = [np.unique(grams[n][0] & mask[n], return_counts=True)
                    for n in range(1, order)]
    unigram_keys, unigram_counts = continuation[0]
    c1 = np.zeros(vocab_size, dtype=np.float64)
    c1[unigram_keys] = unigram_counts
    d1 = _discount(unigram_counts)
    unigram = (np.maximum(c1 - d1, 0) + d1 * np.count_nonzero(c1) / vocab_size) / c1.sum()
    tables = []
    for n in range(2, order + 1):
        keys, counts = grams[n - 1] if n == order else continuation[n - 1]
        tables.append(_table(keys, counts.astype(np.float64)))
    return NgramModel(unigram, tables, boundary)


def _distinct(stream: Ints, n: int) -> tuple[Ints, Ints]:
    """Sorted distinct packed n-grams of `stream` and their counts."""
    keys = np.zeros(len(stream) - n + 1, dtype=np.int64)
    for j in range(n):
        keys <<= TOKEN_BITS
        keys |= stream[j:len(stream) - n + 1 + j]
    distinct, counts = np.unique(keys, return_counts=True)
    return distinct, counts


def _table(keys: Ints, counts: Floats) -> OrderTable:
    """Group sorted n-gram keys by history (key without its last token) and discount."""
    history = keys >> TOKEN_BITS
    starts = np.flatnonzero(np.r_[True, history[1:] != history[:-1]])
    totals = np.add.reduceat(counts, starts)
    types = np.diff(np.r_[starts, len(keys)])
    discount = _discount(counts)
    owner = np.repeat(np.arange(len(starts)), types)
    weights = (counts - discount) / totals[owner]
    return OrderTable(keys=history[starts], starts=np.r_[starts, len(keys)].astype(np.int64),
                      tokens=keys & (MAX_VOCAB - 1), weights=weights,
                      gamma=discount * types / totals)


def _discount(counts: npt.NDArray[np.generic]) -> float:
    """Absolute discount ``n1 / (n1 + 2 n2)`` from the counts of counts, kept in (0, 1)."""
    n1 = int(np.count_nonzero(counts == 1))
    n2 = int(np.count_nonzero(counts == 2))
    if n1 == 0 or n1 + 2 * n2 == 0:
        return 0.5
    return min(max(n1 / (n1 + 2 * n2), 0.05), 0.95)
