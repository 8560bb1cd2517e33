"""The token estimate for servers without a tokenizer, against the local engine's real count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.core.token_estimate import _CHUNK, estimate_tokens
from playground.engine.model import LanguageModel
from playground.engine.store import BUILTIN_ID, ModelStore

#: The estimate stays within this factor of the engine's count, either way.
FACTOR = 2

SAMPLES = {
    "latin": "The quick brown fox jumps over the lazy dog. Once upon a time, in a village by "
             "the sea, lived a lighthouse keeper who counted waves.",
    "code": "def f(x):\n    return {'a': [1, 2, 3], 'b': x ** 2}  # comment\n",
    "numbers": "In 2024, 1,234,567 people paid $89.99 on 12/05 at 10:30.",
    "accented": "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë.",
    "hebrew": "שלום עולם, זהו משפט בעברית כדי לבדוק את ספירת האסימונים.",
    "arabic": "مرحبا بالعالم، هذه جملة باللغة العربية لاختبار عدد الرموز.",
    "cjk": "我们今天去公园散步\uff0c天气非常好。日本語のテキストも試してみます。",
    "emoji": "🎉🚀👍🏽❤️😀😂🙏🔥✨👨‍👩‍👧",
    "mixed": "Hello שלום 你好 🎉 مرحبا",
    "short hebrew": "שלום, מה שלומך היום?",  # 35 tokens; four characters a token made it 5
    "identifiers": "snake_case_name = other_name_2",
}


@pytest.fixture(scope="module")
def model() -> LanguageModel:
    return ModelStore().get(BUILTIN_ID)


@pytest.mark.parametrize("name", SAMPLES)
def test_the_estimate_is_near_the_engines_count(model: LanguageModel, name: str) -> None:
    text = SAMPLES[name]
    counted = len(model.tokenizer.encode(text))
    estimate = estimate_tokens(text)
    assert counted / FACTOR <= estimate <= counted * FACTOR, (name, estimate, counted)


def test_empty_and_tiny() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    assert estimate_tokens("🎉") == 3


@given(st.text())
def test_every_character_is_counted(text: str) -> None:
    assert "".join(_CHUNK.findall(text)) == text
    assert (estimate_tokens(text) > 0) == bool(text)
