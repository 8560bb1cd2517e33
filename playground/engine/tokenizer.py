"""Byte-level BPE: reversible for any byte string, trained deterministically from a corpus.

Ids 0-255 are the bytes themselves, ids 256.. are merges in the order they were learned, and
the last id is the end-of-text token ``<|endoftext|>``. Text is first split into chunks (a word
with its leading space, a number, a run of punctuation, a run of whitespace); merges never cross
a chunk. Every byte falls in some chunk, so decoding the ids of any input gives it back exactly.
The end-of-text token is never produced from text: the literal string ``<|endoftext|>`` in a
prompt is encoded as ordinary bytes.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt

from playground.engine.utf8 import Utf8Guard

EOT_TEXT = "<|endoftext|>"

#: Chunks are capped at 32 bytes so encoding stays linear on pathological input.
_CHUNK = re.compile(
    rb"'(?:[sdmt]|ll|ve|re)| ?[A-Za-z\x80-\xff]{1,32}| ?[0-9]{1,3}"
    rb"| ?[^\sA-Za-z0-9\x80-\xff]{1,32}|\s{1,32}(?!\S)|\s{1,32}"
)
_CACHE_LIMIT = 100_000

Pair = tuple[int, int]


class Tokenizer:
    """A trained byte-level BPE vocabulary. `merges[i]` makes token ``256 + i``."""

    def __init__(self, merges: npt.NDArray[np.int32],
                 known: dict[bytes, list[int]] | None = None) -> None:
        """`known` optionally pre-fills the chunk cache (training already segmented them)."""
        self.merges = np.asarray(merges, dtype=np.int32).reshape(-1, 2)
        self._ranks: dict[Pair, int] = {
            (int(a), int(b)): i for i, (a, b) in enumerate(self.merges.tolist())}
        pieces = [bytes([i]) for i in range(256)]
        for a, b in self.merges.tolist():
            pieces.append(pieces[a] + pieces[b])
        self._bytes: list[bytes] = pieces
        self.eot_id = len(pieces)
        self.vocab_size = len(pieces) + 1
        self._cache: dict[bytes, list[int]] = dict(known or {})

    def encode(self, text: str) -> list[int]:
        """Token ids of `text` (lone surrogates are kept reversible via surrogatepass)."""
        return self.encode_bytes(text.encode("utf-8", "surrogatepass"))

    def encode_bytes(self, data: bytes) -> list[int]:
        out: list[int] = []
        for chunk in _CHUNK.findall(data):
            ids = self._cache.get(chunk)
            if ids is None:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                ids = self._cache[chunk] = self._merge(list(chunk))
            out.extend(ids)
        return out

    @cached_property
    def utf8_guard(self) -> Utf8Guard:
        """Masks for keeping generated text valid UTF-8 (built on first use)."""
        return Utf8Guard(self._bytes, self.eot_id)

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes of `ids`; the end-of-text token contributes nothing."""
        pieces = self._bytes
        return b"".join(pieces[i] for i in ids if i != self.eot_id)

    def decode(self, ids: Iterable[int]) -> str:
        return self.decode_bytes(ids).decode("utf-8", "replace")

    def token_bytes(self, token: int) -> bytes:
        return b"" if token == self.eot_id else self._bytes[token]

    def token_text(self, token: int) -> str:
        """A display form of one token, as OpenAI's logprobs write it: its text when the bytes
        are valid UTF-8 on their own, otherwise ``bytes:\\xe2\\x80``."""
        if token == self.eot_id:
            return EOT_TEXT
        data = self._bytes[token]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "bytes:" + "".join(f"\\x{b:02x}" for b in data)

    def _merge(self, ids: list[int]) -> list[int]:
        """Apply merges lowest rank first, which reproduces the training order exactly."""
        ranks = self._ranks
        while len(ids) > 1:
            best = min(itertools.pairwise(ids), key=lambda p: ranks.get(p, 1 << 30))
            rank = ranks.get(best)
            if rank is None:
                break
            ids = _replace_pair(ids, best, 256 + rank)
        return ids


def train_tokenizer(documents: Iterable[str], n_merges: int) -> Tokenizer:
    """Learn up to `n_merges` merges, most frequent pair first (ties: lowest ids first).

    Standard BPE over distinct chunks weighted by their counts, with pair counts updated
    incrementally (only the chunks containing the merged pair are touched)."""
    counts: Counter[bytes] = Counter()
    for doc in documents:
        counts.update(_CHUNK.findall(doc.encode("utf-8", "surrogatepass")))
    words = [list(chunk) for chunk in counts]
    freqs = list(counts.values())
    pair_counts: defaultdict[Pair, int] = defaultdict(int)
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for index, word in enumerate(words):
        for pair in itertools.pairwise(word):
            pair_counts[pair] += freqs[index]
            where[pair].add(index)
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[Pair] = []
    while heap and len(merges) < n_merges:
        negative, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative:
            continue  # stale entry; the current count was pushed separately
        if -negative < 2:
            break
        new_id = 256 + len(merges)
        merges.append(pair)
        changed: set[Pair] = set()
        for index in where.pop(pair):
            word, freq = words[index], freqs[index]
            merged = _replace_pair(word, pair, new_id)
            if len(merged) == len(word):
                continue  # an earlier merge already consumed this word's occurrences
            old_pairs = list(itertools.pairwise(word))
            new_pairs = list(itertools.pairwise(merged))
            for old in old_pairs:
                pair_counts[old] -= freq
            for new in new_pairs:
                pair_counts[new] += freq
                if new_id in new:
                    where[new].add(index)
                    changed.add(new)
            changed.update(old_pairs)
            words[index] = merged
        del pair_counts[pair]
        changed.discard(pair)
        for other in changed:
            if pair_counts[other] > 0:
                heapq.heappush(heap, (-pair_counts[other], other))
    segmented = dict(zip(counts, words, strict=True))
    return Tokenizer(np.array(merges, dtype=np.int32).reshape(-1, 2), segmented)


def _replace_pair(ids: Sequence[int], pair: Pair, new_id: int) -> list[int]:
    """`ids` with every non-overlapping occurrence of `pair`, left to right, replaced."""
    out: list[int] = []
    i, n = 0, len(ids)
    first, second = pair
    while i < n:
        if i + 1 < n and ids[i] == first and ids[i + 1] == second:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
