"""Where models live, and which model id means which file.

- ``local/stdlib``, the built-in model, is rebuildable, so it lives in the cache:
  ``cache_dir()/engine/stdlib-v<format>-<hash>.npz``, where the hash covers the bytes of every
  source file of its corpus and the build settings. It is built on first use.
- ``local/<name>`` models trained from the user's own files cannot be rebuilt without those
  files, so they live in the data dir: ``data_dir()/engine/models/<name>.npz``.

A file that cannot be read is renamed to ``*.corrupt`` (kept for inspection, never silently
deleted); the built-in model is then rebuilt, a user model is reported missing.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path

from playground.core.paths import cache_dir, data_dir
from playground.engine.corpus import files_corpus, sources_hash, stdlib_corpus, stdlib_sources
from playground.engine.model import (
    FORMAT_VERSION,
    N_MERGES,
    ORDER,
    CorruptModelFile,
    LanguageModel,
    ModelInfo,
    build_model,
    load_model,
    save_model,
)

log = logging.getLogger(__name__)

BUILTIN_ID = "local/stdlib"
BUILTIN_DESCRIPTION = ("A small n-gram model of Python's own documentation, built locally for "
                       "offline sampler exploration. Not an LLM.")
_USER_PREFIX = "local/"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class UnknownModel(LookupError):
    """No model with this id exists here."""

    def __init__(self, model_id: str, message: str) -> None:
        super().__init__(message)
        self.model_id = model_id
        self.message = message


def builtin_path() -> Path:
    salt = f"v{FORMAT_VERSION}:merges={N_MERGES}:order={ORDER}"
    digest = sources_hash(stdlib_sources(), salt)[:16]
    return cache_dir() / "engine" / f"stdlib-v{FORMAT_VERSION}-{digest}.npz"


def user_models_dir() -> Path:
    return data_dir() / "engine" / "models"


def user_model_path(name: str) -> Path:
    if not _NAME.fullmatch(name) or name.lower() == "stdlib":
        raise ValueError(f"model name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit (and not 'stdlib')")
    return user_models_dir() / f"{name}.npz"


def available_ids() -> list[str]:
    """The built-in model first, then the user's models by name."""
    folder = user_models_dir()
    names = sorted(p.stem for p in folder.glob("*.npz")) if folder.is_dir() else []
    return [BUILTIN_ID, *(_USER_PREFIX + name for name in names)]


def train_from_files(paths: Sequence[Path], name: str) -> ModelInfo:
    """Build a model from the user's text files and store it as ``local/<name>``."""
    path = user_model_path(name)
    if not paths:
        raise ValueError("no training files given")
    corpus = files_corpus(paths)
    if not corpus.documents:
        raise ValueError("the training files contain no text")
    model = build_model(corpus, _USER_PREFIX + name,
                        f"An n-gram model trained locally from {len(paths)} file(s). Not an LLM.")
    save_model(model, path)
    return model.info


def _set_aside(path: Path, error: CorruptModelFile) -> None:
    target = path.with_name(path.name + ".corrupt")
    log.warning("model file %s is unreadable (%s); set aside as %s", path, error, target.name)
    os.replace(path, target)


class ModelStore:
    """Loads models by id on demand and keeps them in memory; safe to use from threads."""

    def __init__(self) -> None:
        self._models: dict[str, LanguageModel] = {}
        self._lock = threading.Lock()

    def get(self, model_id: str) -> LanguageModel:
        """The model for `model_id`; builds or loads it on first use.

        Raises `UnknownModel` when there is no such model."""
        with self._lock:
            model = self._models.get(model_id)
            if model is None:
                model = self._models[model_id] = self._load(model_id)
            return model

    def _load(self, model_id: str) -> LanguageModel:
        if model_id == BUILTIN_ID:
            return _load_builtin()
        name = model_id.removeprefix(_USER_PREFIX)
        try:
            path = user_model_path(name)
        except ValueError:
            path = None
        if not model_id.startswith(_USER_PREFIX) or path is None or not path.is_file():
            raise UnknownModel(model_id, f"model {model_id!r} is not available on this engine "
                                         f"(available: {', '.join(available_ids())})")
        try:
            return load_model(path)
        except CorruptModelFile as exc:
            _set_aside(path, exc)
            raise UnknownModel(model_id, f"model {model_id!r} was unreadable and was set aside "
                                         f"as {path.name}.corrupt; train it again") from exc


def _load_builtin() -> LanguageModel:
    path = builtin_path()
    if path.is_file():
        try:
            return load_model(path)
        except CorruptModelFile as exc:
            _set_aside(path, exc)
    model = build_model(stdlib_corpus(), BUILTIN_ID, BUILTIN_DESCRIPTION)
    save_model(model, path)
    for stale in path.parent.glob("stdlib-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return model
