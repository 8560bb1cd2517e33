"""Shared fixtures: an isolated home for every test's files, the fault server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.fault_server import FaultServer


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache for the whole session: the local engine's model is built once, not per test."""
    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get("PLAYGROUND_CACHE")
    os.environ["PLAYGROUND_CACHE"] = str(cache)
    yield cache
    if old is None:
        del os.environ["PLAYGROUND_CACHE"]
    else:
        os.environ["PLAYGROUND_CACHE"] = old


@pytest.fixture(autouse=True)
def playground_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its config, data and cache under a fresh folder, and sees no key."""
    home = tmp_path / "home"
    monkeypatch.setenv("PLAYGROUND_HOME", str(home))
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    return home


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    yield server
    server.stop()
