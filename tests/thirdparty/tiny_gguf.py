"""Write a tiny random-weight llama-architecture GGUF model, so a real llama.cpp server can run.

Its text is gibberish, but everything a server does around the weights is real: parameter
names, defaults, ignored fields, seeds, logprob shapes. About 20k parameters: one block,
32-wide embeddings, two heads and a sentencepiece-style vocabulary of ~90 pieces (no byte
fallback, so every generated piece is printable).

Run as ``python tiny_gguf.py OUT.gguf`` with an interpreter that has ``gguf`` (PyPI, from the
llama.cpp project) and numpy; the test fixture does that with the server's interpreter.
"""

from __future__ import annotations

import string
import sys

import gguf
import numpy as np

N_EMBD, N_FF, N_HEAD, N_CTX = 32, 64, 2, 512
WORDS = ["the", "a", "and", "of", "to", "in", "is", "it", "hello", "world", "once", "upon",
         "time", "there", "was", "cat", "dog", "sun", "moon", "sea"]


def vocabulary() -> tuple[list[str], list[int]]:
    pieces = ["<unk>", "<s>", "</s>", "\u2581"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL,
             gguf.TokenType.NORMAL]
    for piece in [*string.ascii_letters, *".,!?'", *("\u2581" + w for w in WORDS)]:
        pieces.append(piece)
        types.append(gguf.TokenType.NORMAL)
    return pieces, [int(t) for t in types]


def write_model(path: str, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    pieces, types = vocabulary()
    n_vocab = len(pieces)

    def weights(*shape: int, scale: float = 0.5) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("playground-tiny-random")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(1)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(pieces)
    writer.add_token_scores([-float(len(p)) if t == gguf.TokenType.NORMAL else 0.0
                             for p, t in zip(pieces, types, strict=True)])
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)

    writer.add_tensor("token_embd.weight", weights(n_vocab, N_EMBD))
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    output = weights(n_vocab, N_EMBD, scale=2.0)
    output[:3] = 0  # unk, bos and eos stay unlikely, so completions run to max_tokens
    writer.add_tensor("output.weight", output)
    block = "blk.0."
    writer.add_tensor(block + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        writer.add_tensor(block + name + ".weight", weights(N_EMBD, N_EMBD))
    writer.add_tensor(block + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor(block + "ffn_gate.weight", weights(N_FF, N_EMBD))
    writer.add_tensor(block + "ffn_up.weight", weights(N_FF, N_EMBD))
    writer.add_tensor(block + "ffn_down.weight", weights(N_EMBD, N_FF))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    write_model(sys.argv[1])
