"""Where the app keeps its files: platformdirs' user dirs, or all under $PLAYGROUND_HOME.

`PLAYGROUND_HOME` exists for tests and portable installs: it keeps every file the app writes
in one folder (config/, data/, cache/ below it). `PLAYGROUND_CACHE` moves just the cache, so a
test session can build the local engine's model once and share it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "nanogpt-playground"


def _dir(kind: str) -> Path:
    home = os.environ.get("PLAYGROUND_HOME")
    if kind == "cache" and os.environ.get("PLAYGROUND_CACHE"):
        path = Path(os.environ["PLAYGROUND_CACHE"])
    elif home:
        path = Path(home) / kind
    else:
        path = Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Presets and connections."""
    return _dir("config")


def data_dir() -> Path:
    """History and the prompt draft."""
    return _dir("data")


def cache_dir() -> Path:
    """Rebuildable things: local engine models, the model catalog cache."""
    return _dir("cache")


def resource_dir() -> Path:
    """The read-only files the app ships (built-in presets, icons): the top-level
    ``resources/`` of a source checkout or a bundle, or the copy a wheel installs inside the
    package as ``playground/resources`` (setup.py puts it there)."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"
