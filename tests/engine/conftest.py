"""Engine tests share one PLAYGROUND_HOME, one built model and one engine process per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.core.engine_process import EngineProcess
from playground.engine.model import LanguageModel
from playground.engine.store import BUILTIN_ID, ModelStore


@pytest.fixture(scope="session", autouse=True)
def playground_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("playground-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAYGROUND_HOME", str(home))
        yield home


@pytest.fixture(scope="session")
def model(playground_home: Path) -> LanguageModel:
    """The built-in model, built once into the session's cache."""
    return ModelStore().get(BUILTIN_ID)


@pytest.fixture(scope="session")
def engine(model: LanguageModel) -> Iterator[EngineProcess]:
    """A real engine subprocess on a free loopback port (it loads the cached model)."""
    with EngineProcess() as process:
        yield process


@pytest.fixture
def base_url(engine: EngineProcess) -> str:
    return engine.base_url
