from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from playground.engine.model import N_MERGES, LanguageModel
from playground.engine.tokenizer import _CHUNK, EOT_TEXT, Tokenizer, train_tokenizer

DOCS = ["the cat sat on the mat", "the cat ate the rat", "a mat, a cat; that is that!"] * 3


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_round_trips(model: LanguageModel, text: str) -> None:
    tokenizer = model.tokenizer
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    assert all(0 <= i < tokenizer.eot_id for i in ids)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_round_trip(model: LanguageModel, data: bytes) -> None:
    assert model.tokenizer.decode_bytes(model.tokenizer.encode_bytes(data)) == data


def test_long_runs_round_trip_quickly(model: LanguageModel) -> None:
    text = "=" * 50_000 + " " * 10_000 + "x" * 3
    assert model.tokenizer.decode(model.tokenizer.encode(text)) == text


def test_vocabulary_layout(model: LanguageModel) -> None:
    tokenizer = model.tokenizer
    assert tokenizer.vocab_size == 256 + N_MERGES + 1
    assert tokenizer.eot_id == tokenizer.vocab_size - 1
    assert tokenizer.token_text(tokenizer.eot_id) == EOT_TEXT
    assert tokenizer.token_bytes(65) == b"A"
    merged = tokenizer.encode(" the")
    assert len(merged) == 1 and merged[0] >= 256  # a frequent word is one token


def test_end_of_text_is_never_made_from_text(model: LanguageModel) -> None:
    ids = model.tokenizer.encode(f"a{EOT_TEXT}b")
    assert model.tokenizer.eot_id not in ids
    assert model.tokenizer.decode(ids) == f"a{EOT_TEXT}b"


def test_partial_utf8_tokens_are_shown_as_bytes() -> None:
    tokenizer = Tokenizer(train_tokenizer(["é"], 0).merges)
    assert tokenizer.token_text(0xC3) == "bytes:\\xc3"
    assert tokenizer.token_text(ord("a")) == "a"


def test_training_is_deterministic() -> None:
    first = train_tokenizer(DOCS, 40).merges
    assert (train_tokenizer(DOCS, 40).merges == first).all()


def naive_bpe(docs: list[str], n_merges: int) -> list[tuple[int, int]]:
    """Textbook BPE: recount every pair after every merge."""
    counts = Counter(chunk for doc in docs for chunk in _CHUNK.findall(doc.encode()))
    words = {chunk: list(chunk) for chunk in counts}
    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges:
        pairs: Counter[tuple[int, int]] = Counter()
        for chunk, word in words.items():
            for pair in itertools.pairwise(word):
                pairs[pair] += counts[chunk]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        new = 256 + len(merges) - 1
        for chunk, word in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(new)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            words[chunk] = out
    return merges


def test_incremental_training_matches_textbook_bpe() -> None:
    docs = [*DOCS, "aaaa aaaaa abab ababab", "mississippi missus miss"]
    trained = [tuple(pair) for pair in train_tokenizer(docs, 60).merges.tolist()]
    assert trained == naive_bpe(docs, 60)
    assert len(trained) > 20


def test_fresh_tokenizer_encodes_like_the_trained_one() -> None:
    docs = [*DOCS, "mississippi missus miss", "the rat sat"]
    trained = train_tokenizer(docs, 30)
    fresh = Tokenizer(trained.merges)
    for doc in [*docs, "a cat that is a mat rat"]:
        assert fresh.encode(doc) == trained.encode(doc)
