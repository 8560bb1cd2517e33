"""The model catalog of a connection, fetched from ``GET {base}/models?detailed=true`` and cached
so the picker still works offline."""

from __future__ import annotations

from pathlib import Path

from playground.core.client import CompletionClient, ModelInfo
from playground.core.errors import ApiError
from playground.core.paths import cache_dir
from playground.core.storage import CorruptFile, atomic_write_json, load_json


def _cache_path(connection: str) -> Path:
    return cache_dir() / "models" / f"{connection}.json"


def cached_models(connection: str) -> list[ModelInfo]:
    try:
        data = load_json(_cache_path(connection))
    except CorruptFile:
        return []
    if not isinstance(data, list):
        return []
    return [ModelInfo.from_json(item) for item in data if isinstance(item, dict) and "id" in item]


async def fetch_models(client: CompletionClient, connection: str
                       ) -> tuple[list[ModelInfo], ApiError | None]:
    """Fresh models when the server answers (and cache them); else the cached list and why."""
    try:
        models = await client.models()
    except ApiError as exc:
        return cached_models(connection), exc
    atomic_write_json(_cache_path(connection), [m.to_json() for m in models])
    return models, None
