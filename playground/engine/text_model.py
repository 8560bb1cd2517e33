"""What the engine asks of a model, whichever kind: the n-gram model (`model.LanguageModel`)
or a GGUF model run by llama.cpp (`gguf.GgufModel`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from playground.engine.utf8 import Utf8Guard


class Vocabulary(Protocol):
    @property
    def vocab_size(self) -> int: ...

    @property
    def eot_id(self) -> int: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Iterable[int]) -> str: ...

    def token_bytes(self, token: int) -> bytes: ...

    def token_text(self, token: int) -> str: ...

    @property
    def utf8_guard(self) -> Utf8Guard: ...


class TextModel(Protocol):
    @property
    def tokenizer(self) -> Vocabulary: ...

    @property
    def context_length(self) -> int:
        """Tokens of prompt and completion together that the model can attend to."""
        ...

    def next_probs(self, tokens: Sequence[int]) -> npt.NDArray[np.float64]:
        """P(next token | tokens so far) over the whole vocabulary."""
        ...
