"""GGUF files met by the engine before llama.cpp loads them: read, listed, added, refused with
their name and what is wrong. (Running one is tests/thirdparty/test_real_model.py.)"""

from __future__ import annotations

import argparse
import re
import struct
from pathlib import Path

import httpx
import pytest

from playground.core.engine_process import EngineProcess
from playground.core.gguf_file import GgufFileError, context_length, read_metadata
from playground.engine.cli import run_add
from playground.engine.gguf import check_fits, memory_needed
from playground.engine.store import add_gguf, available_ids, listings


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _u32(key: str, value: int) -> bytes:
    return _string(key) + struct.pack("<II", 4, value)


def gguf_bytes(context: int = 2048, vocab: int = 300, layers: int = 0) -> bytes:
    """A GGUF header as llama.cpp writes one: scalars, a string, a short and a long array;
    no tensors. With `layers`, the shape of a model that large (its KV cache grows with it)."""
    shape = [_u32("llama.block_count", layers), _u32("llama.embedding_length", 65536),
             _u32("llama.attention.head_count", 64),
             _u32("llama.attention.head_count_kv", 64)] if layers else []
    entries = [*shape,
        _string("general.architecture") + struct.pack("<I", 8) + _string("llama"),
        _string("general.name") + struct.pack("<I", 8) + _string("Tiny Test"),
        _string("llama.context_length") + struct.pack("<II", 4, context),
        _string("llama.rope.scale") + struct.pack("<If", 6, 1.5),
        _string("tokenizer.ggml.add_bos_token") + struct.pack("<I?", 7, False),
        _string("llama.short") + struct.pack("<IIQ", 9, 5, 2) + struct.pack("<ii", -1, 7),
        _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, vocab)
        + b"".join(_string(f"t{i}") for i in range(vocab)),
        _string("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, vocab)
        + struct.pack(f"<{vocab}f", *range(vocab)),
    ]
    return (b"GGUF" + struct.pack("<IQQ", 3, 0, len(entries)) + b"".join(entries))


def test_metadata_is_read_and_long_arrays_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(gguf_bytes(context=4096))
    metadata = read_metadata(path)
    assert metadata["general.name"] == "Tiny Test" and metadata["llama.short"] == [-1, 7]
    assert metadata["llama.rope.scale"] == 1.5 and metadata["tokenizer.ggml.add_bos_token"] is False
    assert metadata["tokenizer.ggml.tokens"] is None  # 300 entries: skipped
    assert context_length(metadata) == 4096


@pytest.mark.parametrize(("content", "problem"), [
    (None, "no such file"), (b"", "not a GGUF file"), (b"PK\x03\x04 a zip", "not a GGUF file"),
    (gguf_bytes()[:-700], "cut short"), (gguf_bytes()[:10], "cut short"),
    (b"GGUF" + struct.pack("<IQQ", 7, 0, 0), "version 7"),
])
def test_a_bad_file_is_named_with_what_is_wrong(tmp_path: Path, content: bytes | None,
                                                problem: str) -> None:
    path = tmp_path / "model.gguf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(GgufFileError, match=problem) as error:
        read_metadata(path)
    assert str(path) in str(error.value)
    with pytest.raises(ValueError, match=problem):
        add_gguf(path, "bad")
    assert "local/bad" not in available_ids()


def test_engine_add_lists_the_model_with_its_context(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(gguf_bytes(context=2048))

    assert run_add(argparse.Namespace(file=path, name="tiny")) == 0
    assert "Added local/tiny: Tiny Test (GGUF, llama.cpp), a context of 2048" in \
        capsys.readouterr().out
    listing = next(item for item in listings() if item.model_id == "local/tiny")
    assert listing.context_length == 2048
    assert run_add(argparse.Namespace(file=path, name="stdlib")) == 2
    assert "model name 'stdlib'" in capsys.readouterr().err


def test_a_model_that_cannot_run_is_a_400_naming_it(engine: EngineProcess,
                                                    playground_home: Path) -> None:
    """A GGUF whose header is whole but which has no weights: llama.cpp refuses it (or is
    not installed); either way the answer names the model and the problem, and the engine
    goes on."""
    path = playground_home / "hollow.gguf"
    path.write_bytes(gguf_bytes())
    add_gguf(path, "hollow")
    answer = httpx.post(f"{engine.base_url}/completions", timeout=60,
                        json={"model": "local/hollow", "prompt": "Hi", "max_tokens": 2})
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["code"] == "model_unavailable" and error["param"] == "model"
    assert "local/hollow" in error["message"]
    assert str(path) in error["message"] or "bootstrap.sh model" in error["message"]
    assert httpx.post(f"{engine.base_url}/completions", timeout=60,
                      json={"model": "local/stdlib", "prompt": "Hi", "max_tokens": 2}
                      ).status_code == 200


def test_a_model_too_large_for_the_machine_is_refused_with_the_numbers(
        engine: EngineProcess, playground_home: Path) -> None:
    """A header that describes a model of 4,096 layers: its KV cache alone would need
    terabytes. The engine refuses it before asking llama.cpp, with the numbers."""
    path = playground_home / "giant.gguf"
    path.write_bytes(gguf_bytes(context=8192, layers=4096))
    add_gguf(path, "giant")
    answer = httpx.post(f"{engine.base_url}/completions", timeout=60,
                        json={"model": "local/giant", "prompt": "Hi", "max_tokens": 2})
    assert answer.status_code == 400
    message = answer.json()["message"]
    assert "too large for this machine's memory" in message and str(path) in message
    assert re.search(r"needs about [\d,]+ MB \(with a context of 8192 tokens\), and "
                     r"[\d,]+ MB are available", message), message


def test_the_memory_a_model_needs_counts_its_file_and_its_kv_cache(tmp_path: Path) -> None:
    path = tmp_path / "shape.gguf"
    path.write_bytes(gguf_bytes(layers=2))
    metadata = read_metadata(path)
    kv = 2 * 2 * 1024 * 65536 * 34 / 32  # keys and values, 2 layers, 1,024 tokens, 8-bit
    assert memory_needed(path, metadata, 1024) == int((path.stat().st_size + kv) * 1.1)
    check_fits(path, metadata, 1024, None)  # memory unknown: no refusal
    check_fits(path, metadata, 1024, 2**40)
    with pytest.raises(GgufFileError, match="needs about 299 MB .* and 100 MB are available"):
        check_fits(path, metadata, 1024, 100 * 2**20)
