from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from playground.engine.model import LanguageModel
from playground.engine.ngram import build_ngram

PAD = 7
VOCAB = 8
DOCS = [[1, 2, 3, 1, 2, 4, 1, 2, 3], [2, 3, 1, 5], [1, 2, 3, 3, 0]]


def reference_kn(docs: list[list[int]], order: int) -> object:
    """Interpolated Kneser-Ney written the slow, obvious way."""
    stream: list[int] = []
    for doc in docs:
        stream += [PAD] * (order - 1) + doc + [PAD]
    grams = {n: Counter(tuple(stream[i:i + n]) for i in range(len(stream) - n + 1))
             for n in range(1, order + 1)}

    def count(gram: tuple[int, ...]) -> int:
        if len(gram) == order:
            return grams[order][gram]
        return sum(1 for longer in grams[len(gram) + 1] if longer[1:] == gram)

    def level_counts(n: int) -> list[int]:
        return [count(g) for g in grams[n] if count(g) > 0]

    def discount(n: int) -> float:
        counts = level_counts(n)
        n1, n2 = counts.count(1), counts.count(2)
        return min(max(n1 / (n1 + 2 * n2), 0.05), 0.95)

    def prob(w: int, history: tuple[int, ...]) -> float:
        if not history:
            c = {v: count((v,)) for v in range(VOCAB)}
            total = sum(c.values())
            d = discount(1)
            seen = sum(1 for v in c.values() if v > 0)
            return (max(c[w] - d, 0) + d * seen / VOCAB) / total
        n = len(history) + 1
        c = {v: count((*history, v)) for v in range(VOCAB)}
        total = sum(c.values())
        if total == 0:
            return prob(w, history[1:])
        d = discount(n)
        types = sum(1 for v in c.values() if v > 0)
        return max(c[w] - d, 0) / total + d * types / total * prob(w, history[1:])

    return prob


@pytest.mark.parametrize("order", [2, 3, 4])
def test_matches_reference_kneser_ney(order: int) -> None:
    model = build_ngram(DOCS, VOCAB, order, PAD)
    prob = reference_kn(DOCS, order)
    for context in ([], [1], [1, 2], [2, 3], [3, 3], [6, 6], [1, 2, 3], [5, 1, 2]):
        history = tuple(model.history(context))
        expected = [prob(w, history) for w in range(VOCAB)]  # type: ignore[operator]
        assert np.allclose(model.probs(context), expected, rtol=1e-6, atol=1e-9), context


def test_every_token_has_probability_and_rows_sum_to_one(model: LanguageModel) -> None:
    rng = np.random.default_rng(0)
    vocab = model.tokenizer.vocab_size
    for _ in range(200):
        context = [int(t) for t in rng.integers(0, vocab, int(rng.integers(0, 8)))]
        p = model.next_probs(context)
        assert p.shape == (vocab,)
        assert p.min() > 0
        assert abs(p.sum() - 1) < 1e-9


def test_context_matters(model: LanguageModel) -> None:
    tokenizer = model.tokenizer
    after_def = model.next_probs(tokenizer.encode("The default value is"))
    after_import = model.next_probs(tokenizer.encode("import"))
    assert not np.allclose(after_def, after_import)
    top = tokenizer.token_text(int(np.argmax(model.next_probs(tokenizer.encode("Return the")))))
    assert top.startswith(" ")  # a word follows "Return the"


def test_rejects_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="order"):
        build_ngram(DOCS, VOCAB, 9, PAD)
    with pytest.raises(ValueError, match="vocabulary"):
        build_ngram(DOCS, 5000, 3, PAD)
