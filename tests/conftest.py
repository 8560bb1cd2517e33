"""Shared fixtures: an isolated home for every test's files, the fault servers, keys and
keyrings."""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from playground.core import local_models
from tests.fault_server import FaultServer

# Property tests check behaviour, never speed: on a loaded machine (two cores shared with
# builds) Hypothesis's timing checks fail tests whose properties hold. Speed is the bench's.
hypothesis_settings.register_profile("playground", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("playground")


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


@pytest.fixture(scope="session", autouse=True)
def ngram_default() -> Iterator[None]:
    """The local engine's default model is the n-gram one in every test and every process a
    test starts, whether or not the real model is installed here (its own tests name it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(local_models.DEFAULT_ENV, local_models.NGRAM_ID)
        yield


@pytest.fixture(autouse=True)
def playground_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes its config, data and cache under a fresh folder, and sees no key."""
    home = tmp_path / "home"
    monkeypatch.setenv("PLAYGROUND_HOME", str(home))
    monkeypatch.delenv("NANOGPT_API_KEY", raising=False)
    return home


@pytest.fixture(autouse=True)
def collect_in_main_thread() -> Iterator[None]:
    """Collect each test's garbage in the main (GUI) thread. Qt objects caught in reference
    cycles are otherwise freed by whichever thread next triggers a collection (the fault
    server's, an executor's), and a Qt object destroyed off its thread can crash the run."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def other_server() -> Iterator[FaultServer]:
    """A second server on another loopback port, for what must not reach it (a key)."""
    server = FaultServer().start()
    yield server
    server.stop()


@pytest.fixture
def key() -> str:
    """An API key no other test uses, to look for in files, logs and requests."""
    return f"sk-nano-{uuid.uuid4()}"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps passwords in memory (this machine has no daemon)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


@contextmanager
def _use_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    with _use_keyring(backend):
        yield backend


@pytest.fixture
def null_keyring() -> Iterator[None]:
    """The backend ``keyring --disable`` chooses: it raises nothing and keeps nothing."""
    with _use_keyring(keyring.backends.null.Keyring()):
        yield


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """The backend keyring uses when the OS has none: every call raises NoKeyringError."""
    with _use_keyring(keyring.backends.fail.Keyring()):
        yield
