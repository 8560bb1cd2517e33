"""The model catalog of a connection, fetched from ``GET {base}/models?detailed=true`` and cached
so the picker still works offline. A `ModelList` says where its models came from, so that what
the picker says about them is true."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playground.core.client import CompletionClient, ModelInfo
from playground.core.errors import ApiError
from playground.core.model_id import ModelId
from playground.core.paths import cache_dir
from playground.core.storage import CorruptFile, atomic_write_json, load_json


@dataclass(frozen=True)
class ModelList:
    """A connection's models: fresh from its server, or the cached list saved at `saved_at`
    (None: nothing is cached), with `error` saying why the server did not list them."""

    models: list[ModelInfo] = field(default_factory=list)
    fresh: bool = False
    saved_at: datetime | None = None
    error: ApiError | None = None


def _cache_path(connection: str) -> Path:
    return cache_dir() / "models" / f"{connection}.json"


def cached_model_list(connection: str) -> ModelList:
    """The list saved when the server last answered; an unreadable cache counts as none."""
    path = _cache_path(connection)
    try:
        data = load_json(path)
        saved_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (CorruptFile, OSError):
        return ModelList()
    if not isinstance(data, list):
        return ModelList()
    models = [ModelInfo.from_json(item) for item in data
              if isinstance(item, dict) and "id" in item]
    return ModelList(models, saved_at=saved_at)


def listed_models(connection: str) -> Callable[[str], ModelInfo | None]:
    """A look-up in the connection's cached model list: a model by its id as written, else
    without its suffixes."""
    listed = {m.id: m for m in cached_model_list(connection).models}

    def find(model: str) -> ModelInfo | None:
        return listed.get(model) or listed.get(ModelId.parse(model).base)

    return find


async def fetch_model_list(client: CompletionClient, connection: str) -> ModelList:
    """Fresh models when the server answers (and cache them); else the cached list and why."""
    try:
        models = await client.models()
    except ApiError as exc:
        cached = cached_model_list(connection)
        return ModelList(cached.models, saved_at=cached.saved_at, error=exc)
    atomic_write_json(_cache_path(connection), [m.to_json() for m in models])
    return ModelList(models, fresh=True, saved_at=datetime.now(UTC))


