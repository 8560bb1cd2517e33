from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest

from playground.engine.model import LanguageModel, load_model
from playground.engine.store import (
    BUILTIN_ID,
    SMOLLM2_ID,
    ModelStore,
    UnknownModel,
    available_ids,
    builtin_path,
    smollm2_path,
    train_from_files,
    trained_model_path,
)

TEXT = ("The quick brown fox jumps over the lazy dog. " * 40
        + "Sphinx of black quartz, judge my vow. " * 30)


def test_builtin_model_is_cached_and_loads_the_same(model: LanguageModel) -> None:
    path = builtin_path()
    assert path.is_file() and path.parent.name == "engine"
    loaded = load_model(path)
    assert loaded.info == model.info
    assert (loaded.tokenizer.merges == model.tokenizer.merges).all()
    context = model.tokenizer.encode("Return the")
    assert np.array_equal(loaded.next_probs(context), model.next_probs(context))
    assert model.info.model_id == BUILTIN_ID and model.info.order >= 4
    assert "Not an LLM" in model.info.description


def test_corrupt_builtin_cache_is_set_aside_and_rebuilt(
        model: LanguageModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    path = builtin_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a model")
    rebuilt = ModelStore().get(BUILTIN_ID)
    assert path.with_name(path.name + ".corrupt").read_bytes() == b"not a model"
    assert load_model(path).info.corpus_sha256 == rebuilt.info.corpus_sha256
    assert (rebuilt.tokenizer.merges == model.tokenizer.merges).all()  # deterministic build


def test_train_from_files_serves_a_named_model(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))
    source = tmp_path / "pangrams.txt"
    source.write_text(TEXT)
    info = train_from_files([source], "pangrams")
    assert info.model_id == "local/pangrams" and info.documents == 1
    real = [SMOLLM2_ID] if smollm2_path() else []  # with the real model installed
    assert available_ids() == [BUILTIN_ID, *real, "local/pangrams"]
    trained = ModelStore().get("local/pangrams")
    tokens = trained.tokenizer.encode(" quick brown")
    assert trained.tokenizer.decode(tokens) == " quick brown"
    best = int(np.argmax(trained.next_probs(trained.tokenizer.encode("The quick brown"))))
    assert trained.tokenizer.token_text(best).startswith(" f")


def test_corrupt_user_model_is_set_aside(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    path = trained_model_path("broken")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK garbage")
    with pytest.raises(UnknownModel, match="set aside"):
        ModelStore().get("local/broken")
    assert path.with_name("broken.npz.corrupt").exists() and not path.exists()


def test_names_and_unknown_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    for bad in ("", "../x", "stdlib", "a b", "-x"):
        with pytest.raises(ValueError, match="model name"):
            trained_model_path(bad)
    for missing in ("local/nothing", "openai/gpt-5", "local/../etc"):
        with pytest.raises(UnknownModel, match="not available"):
            ModelStore().get(missing)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match="no text"):
        train_from_files([empty], "empty")


def test_a_model_unused_for_a_while_is_let_go_and_loads_again(model: LanguageModel) -> None:
    now = [0.0]
    store = ModelStore(idle_seconds=100, clock=lambda: now[0])
    first = store.get(BUILTIN_ID)
    held = weakref.ref(first)
    now[0] = 50
    assert store.get(BUILTIN_ID) is first  # used again: the clock starts over
    now[0] = 149
    store.let_go_of_idle()
    assert list(store._models) == [BUILTIN_ID]
    now[0] = 151
    store.let_go_of_idle()
    assert list(store._models) == []
    assert held() is first  # a generation still holding it keeps it alive...
    del first
    gc.collect()
    assert held() is None  # ...and once none does, its memory is freed
    again = store.get(BUILTIN_ID)
    assert again.tokenizer.vocab_size == model.tokenizer.vocab_size
