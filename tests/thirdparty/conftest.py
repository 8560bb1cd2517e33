"""A real llama-cpp-python server on a tiny random model, for tests marked ``thirdparty``.

The server runs from the interpreter named by ``PLAYGROUND_LLAMA_PYTHON`` (default: the one
running the tests), which needs ``llama-cpp-python[server]`` and ``gguf`` installed. Missing
them is a failure with the install command, not a skip. The default test run leaves this suite
out (pyproject's addopts); ``sh packaging/bootstrap.sh thirdparty`` sets it up and runs it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gui import qloop, settings  # noqa: F401 - the window tests' fixtures
from tests.thirdparty.llama_server import LlamaServer, running_server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with running_server(tmp_path_factory.mktemp("llama")) as server:
        yield server
