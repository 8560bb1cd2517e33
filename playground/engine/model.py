"""A local language model: a BPE tokenizer plus an n-gram table, built, saved and loaded.

It is a small statistical model for offline exploration of samplers, not an LLM: its text is
locally plausible and globally aimless. Files are single uncompressed ``.npz`` archives (fast to
load) holding the merges, the n-gram tables and a JSON ``meta`` record.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from playground.core.storage import atomic_write
from playground.engine.corpus import Corpus
from playground.engine.ngram import NgramModel, build_ngram
from playground.engine.tokenizer import Tokenizer, train_tokenizer

#: Tokens of prompt and completion an n-gram model takes (it looks back only ORDER - 1 tokens;
#: this bounds the work of one request).
CONTEXT_LENGTH = 65_536
#: Bump when the file layout or anything that changes a built model changes.
FORMAT_VERSION = 1
N_MERGES = 3000
ORDER = 5


class CorruptModelFile(Exception):
    """A model file could not be read back."""


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    description: str
    corpus_sha256: str
    documents: int
    training_tokens: int
    vocab_size: int
    order: int
    format_version: int = FORMAT_VERSION
    built_at: float = 0.0


@dataclass(frozen=True)
class LanguageModel:
    info: ModelInfo
    tokenizer: Tokenizer
    ngram: NgramModel

    @property
    def context_length(self) -> int:
        return CONTEXT_LENGTH

    def next_probs(self, tokens: Sequence[int]) -> npt.NDArray[np.float64]:
        """P(next token | tokens so far) over the whole vocabulary."""
        return self.ngram.probs(tokens)


def build_model(corpus: Corpus, model_id: str, description: str) -> LanguageModel:
    tokenizer = train_tokenizer(corpus.documents, N_MERGES)
    docs = [tokenizer.encode(doc) for doc in corpus.documents]
    ngram = build_ngram(docs, tokenizer.vocab_size, ORDER, tokenizer.eot_id)
    info = ModelInfo(model_id=model_id, description=description,
                     corpus_sha256=corpus.sha256, documents=len(docs),
                     training_tokens=sum(map(len, docs)), vocab_size=tokenizer.vocab_size,
                     order=ORDER, built_at=time.time())
    return LanguageModel(info, tokenizer, ngram)


def save_model(model: LanguageModel, path: Path) -> None:
    """Write atomically (see `atomic_write`)."""
    meta = np.frombuffer(json.dumps(asdict(model.info)).encode(), dtype=np.uint8)
    arrays: dict[str, Any] = {"meta": meta, "merges": model.tokenizer.merges,
                              **model.ngram.arrays()}
    atomic_write(path, lambda out: np.savez(out, **arrays))


def load_model(path: Path) -> LanguageModel:
    """Read a model file; raises `CorruptModelFile` if it is damaged or of another format."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        info = ModelInfo(**json.loads(arrays.pop("meta").tobytes()))
        if info.format_version != FORMAT_VERSION:
            raise CorruptModelFile(f"{path.name}: format {info.format_version}, "
                                   f"expected {FORMAT_VERSION}")
        tokenizer = Tokenizer(arrays.pop("merges"))
        ngram = NgramModel.from_arrays(arrays, info.order, tokenizer.eot_id)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise CorruptModelFile(f"{path.name}: {exc}") from exc
    if ngram.vocab_size != tokenizer.vocab_size:
        raise CorruptModelFile(f"{path.name}: tokenizer and n-gram tables disagree")
    return LanguageModel(info, tokenizer, ngram)
