"""Detecting a server's dialect, against a loopback server that answers as each one does."""

from __future__ import annotations

import socket

import pytest

from playground.core.detect import detect
from tests.fault_server import FaultServer


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("server", "note"), [
    ("llamacpp", "detected: llama.cpp (owned_by llamacpp)"),
    ("vllm", "detected: vllm (owned_by vllm)"),
    ("ollama", "detected: ollama (owned_by library)"),
    ("ollamauser", "detected: ollama (GET / says Ollama is running)"),
    ("koboldcpp", "detected: koboldcpp (Server: KoboldCppServer 1)"),
    ("koboldproxied", "detected: koboldcpp (GET /api/extra/version says KoboldCpp)"),
    ("textgen", "detected: text-generation-webui (GET /v1/internal/model/info names a "
                "loader)"),
    ("llamacpppython", "detected: llama-cpp-python (owned_by me)"),
])
async def test_each_server_is_told_apart(fault_server: FaultServer, server: str,
                                         note: str) -> None:
    found = await detect(fault_server.url(server))
    assert found.detected
    assert found.note == note


async def test_an_unknown_server_is_plain_openai(fault_server: FaultServer) -> None:
    found = await detect(fault_server.url("openailike"))
    assert (found.dialect, found.detected) == ("openai", False)
    assert found.note == ("not detected (owned_by system names no known server); using plain "
                          "OpenAI-compatible (openai)")


async def test_an_unreachable_server_falls_back_with_a_note() -> None:
    found = await detect(f"http://127.0.0.1:{closed_port()}/v1")
    assert (found.dialect, found.detected) == ("openai", False)
    assert found.note == ("not detected (could not connect to 127.0.0.1); using plain "
                          "OpenAI-compatible (openai)")


async def test_a_refused_model_list_says_so_and_every_probe_carries_the_key(
        fault_server: FaultServer) -> None:
    found = await detect(fault_server.url("modelslocked"), api_key="sk-detect")
    assert found.dialect == "openai"
    assert found.note == ("not detected (GET /models: HTTP 401 [invalid_api_key]: Invalid API "
                          "key); using plain OpenAI-compatible (openai)")
    asked = [r for r in fault_server.requests if r.path.startswith("/modelslocked/")]
    assert {r.path for r in asked} == {"/modelslocked/v1/models", "/modelslocked/props",
                                       "/modelslocked/api/extra/version", "/modelslocked/",
                                       "/modelslocked/v1/internal/model/info"}
    assert {r.headers.get("authorization") for r in asked} == {"Bearer sk-detect"}


async def test_nanogpt_is_known_by_its_host() -> None:
    found = await detect("https://nano-gpt.com/api/v1")
    assert found.note == "detected: nanogpt (the host is nano-gpt.com)"
