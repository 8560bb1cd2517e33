"""Real language models from GGUF files: llama.cpp (through llama-cpp-python) evaluates them,
and the full logits of every step go to the engine's own sampler chain, so every sampler, the
trace, log-probs, seeds and stops work on a real model exactly as on the n-gram model.

- Logits are read with ``llama_get_logits_ith(ctx, -1)``: in llama-cpp-python 0.3.36
  ``Llama.scores`` stays unfilled unless the context keeps every position's logits.
- One context per model holds the KV cache of the last sequence evaluated. Asking for the next
  distribution after a sequence that shares a prefix with it (the next step of a generation, a
  Continue, a branch, a second request on the same prompt) evaluates only what follows the
  shared prefix. The context is not thread-safe: one lock per model serialises its use.
- The tokenizer is the model's own: prompts are tokenized with special tokens parsed (so an
  instruct template's ``<|im_start|>`` is one token), without adding a BOS token unless the
  model asks for one (GGUF ``tokenizer.ggml.add_bos_token``). An empty prompt is read as
  following the BOS token, as the n-gram model reads one after its document start.
- The end-of-sequence token ends a completion; the model's other control tokens (chat-turn
  markers and the like) are never sampled, as they have no text.

Importing this module does not import llama_cpp; opening a model does, so the engine runs
without llama-cpp-python installed and says what is missing when a GGUF model is asked for.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from playground.core.gguf_file import GgufFileError, context_length, read_metadata
from playground.engine.utf8 import Utf8Guard

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: The largest context a model is opened with (the KV cache grows with it).
MAX_CONTEXT = 8192
#: The KV cache's number type (ggml_type GGML_TYPE_Q8_0): half the memory of 16-bit floats
#: for a difference in the logits far below what sampling notices (SmolLM2's whole 8k context
#: then fits the engine in ~330 MB).
_Q8_0 = 8
_Q8_0_BYTES = 34 / 32  # a block of 32 values: 32 bytes and a 16-bit scale
#: llama.cpp's token attribute bit for control tokens (llama_token_attr LLAMA_TOKEN_ATTR_CONTROL).
_CONTROL = 1 << 3


class BackendMissing(Exception):
    """llama-cpp-python is not installed in the engine's environment."""


class GgufTokenizer:
    """The model's own vocabulary, with the interface of the n-gram model's `Tokenizer`."""

    def __init__(self, llama: Any) -> None:
        self._llama = llama
        model = llama._model
        self.vocab_size: int = llama.n_vocab()
        self.eot_id: int = llama.token_eos()
        self._bytes: list[bytes] = []
        control = np.zeros(self.vocab_size, dtype=bool)
        for token in range(self.vocab_size):
            if model.token_get_attr(token) & _CONTROL:
                control[token] = True
                self._bytes.append(b"")
            else:
                self._bytes.append(llama.detokenize([token]))
        control[self.eot_id] = False
        #: Control tokens other than the end of sequence: never sampled.
        self.unsampled: npt.NDArray[np.bool_] = control

    def encode(self, text: str) -> list[int]:
        if not text:
            return []
        data = text.encode("utf-8", "surrogatepass")
        return list(self._llama.tokenize(data, add_bos=False, special=True))

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        pieces = self._bytes
        return b"".join(pieces[i] for i in ids)

    def decode(self, ids: Iterable[int]) -> str:
        return self.decode_bytes(ids).decode("utf-8", "replace")

    def token_bytes(self, token: int) -> bytes:
        return self._bytes[token]

    def token_text(self, token: int) -> str:
        """As the n-gram tokenizer writes it: the text, ``bytes:\\x..`` for part of a
        character, and a control token by its name."""
        if token == self.eot_id or self.unsampled[token]:
            return str(self._llama.detokenize([token], special=True).decode("utf-8", "replace"))
        data = self._bytes[token]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return "bytes:" + "".join(f"\\x{b:02x}" for b in data)

    @cached_property
    def utf8_guard(self) -> Utf8Guard:
        return Utf8Guard(self._bytes, self.eot_id)


def memory_needed(path: Path, metadata: dict[str, Any], n_ctx: int) -> int:
    """Bytes a model needs open: its file (the weights, mapped) and its 8-bit KV cache for
    `n_ctx` tokens (keys and values, per layer, per KV head), plus a tenth for llama.cpp's
    work buffers."""
    arch = metadata.get("general.architecture")
    layers = int(metadata.get(f"{arch}.block_count") or 0)
    width = int(metadata.get(f"{arch}.embedding_length") or 0)
    heads = int(metadata.get(f"{arch}.attention.head_count") or 1)
    kv_heads = int(metadata.get(f"{arch}.attention.head_count_kv") or heads)
    kv_cache = 2 * layers * n_ctx * (width // max(heads, 1)) * kv_heads * _Q8_0_BYTES
    return int((path.stat().st_size + kv_cache) * 1.1)


def available_memory() -> int | None:
    """Bytes the system can still give (``MemAvailable``); None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_fits(path: Path, metadata: dict[str, Any], n_ctx: int, available: int | None) -> None:
    """Raise `GgufFileError` with the numbers when the model would not fit in memory."""
    needed = memory_needed(path, metadata, n_ctx)
    if available is not None and needed > available:
        raise GgufFileError(f"{path}: too large for this machine's memory: it needs about "
                            f"{needed / 2**20:,.0f} MB (with a context of {n_ctx} tokens), "
                            f"and {available / 2**20:,.0f} MB are available")


class GgufModel:
    """One GGUF model, open in llama.cpp, with its KV cache. Safe to use from threads."""

    def __init__(self, path: Path) -> None:
        """Raises `GgufFileError` for a file that is not a usable GGUF model (naming it and
        what is wrong), `BackendMissing` without llama-cpp-python."""
        metadata = read_metadata(path)
        n_ctx = min(context_length(metadata) or MAX_CONTEXT, MAX_CONTEXT)
        check_fits(path, metadata, n_ctx, available_memory())
        try:
            from llama_cpp import Llama
        except ImportError:
            raise BackendMissing("llama-cpp-python is not installed in the engine's "
                                 "environment: sh packaging/bootstrap.sh model") from None
        try:
            self.llama = Llama(str(path), n_ctx=n_ctx, n_batch=512,
                               n_threads=os.cpu_count() or 1, logits_all=False,
                               flash_attn=True, type_k=_Q8_0, type_v=_Q8_0, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise GgufFileError(f"{path}: llama.cpp could not load it ({exc}); the file may "
                                "be cut short or of an architecture this llama.cpp lacks"
                                ) from None
        self.tokenizer = GgufTokenizer(self.llama)
        #: Tokens of prompt and completion together it was opened for.
        self.context_length = int(self.llama.n_ctx())
        self._start = [] if not self.llama._model.add_bos_token() else [self.llama.token_bos()]
        self._bos = self.llama.token_bos()
        self._evaluated: list[int] = []
        self._last: npt.NDArray[np.float32] | None = None
        self._lock = threading.Lock()

    def next_probs(self, tokens: Sequence[int]) -> npt.NDArray[np.float64]:
        """P(next token | tokens so far) over the whole vocabulary."""
        logits = self.next_logits(tokens).astype(np.float64)
        logits[self.tokenizer.unsampled] = -np.inf
        logits -= logits.max()
        probs: npt.NDArray[np.float64] = np.exp(logits)
        probs /= probs.sum()
        return probs

    def next_logits(self, tokens: Sequence[int]) -> npt.NDArray[np.float32]:
        """The model's logits for the token after `tokens`, evaluating only what is not in
        the KV cache already."""
        sequence = [*self._start, *tokens] if (self._start or tokens) else [self._bos]
        with self._lock:
            if sequence == self._evaluated and self._last is not None:
                return self._last
            keep = min(_shared_prefix(self._evaluated, sequence), len(sequence) - 1)
            llama = self.llama
            llama._ctx.kv_cache_seq_rm(-1, keep, -1)
            llama.n_tokens = keep
            self._evaluated = self._evaluated[:keep]
            llama.eval(sequence[keep:])
            self._evaluated = list(sequence)
            from llama_cpp import llama_get_logits_ith

            pointer = llama_get_logits_ith(llama._ctx.ctx, -1)
            self._last = np.ctypeslib.as_array(pointer, shape=(self.tokenizer.vocab_size,)
                                               ).copy()
            return self._last


def _shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
