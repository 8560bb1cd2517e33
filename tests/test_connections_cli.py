"""``playground connections ...`` against real servers: the local engine and the fault server.

The commands are driven through their own argparse registration, as the entry point does.
"""

from __future__ import annotations

import argparse
import json
import socket
from collections.abc import Iterator

import pytest

from playground.cli.connections import register
from playground.core.connections import ConnectionStore
from playground.core.engine_process import EngineProcess
from playground.core.errors import InvalidParameter
from playground.core.keys import KeyStore


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="playground")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["connections", *argv])
    return int(args.func(args))


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    with EngineProcess() as engine:
        yield engine.base_url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_corrupt_connections_file_is_reported_not_fatal(
        capsys: pytest.CaptureFixture[str]) -> None:
    ConnectionStore().path.write_text("{ broken")
    assert run("list") == 0
    captured = capsys.readouterr()
    assert "connections.json could not be read" in captured.err
    assert "moved to connections.json.corrupt-" in captured.err
    assert [line.split()[0] for line in captured.out.splitlines()[1:]] == ["local", "nanogpt"]


def test_add_list_remove(capsys: pytest.CaptureFixture[str], memory_keyring) -> None:
    assert run("add", "llama", "--base-url", "http://127.0.0.1:8080/v1/completions",
               "--dialect", "llama.cpp", "--model", "tiny") == 0
    assert "Saved connection llama: http://127.0.0.1:8080/v1 (llama.cpp)" in capsys.readouterr().out

    assert run("list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "DIALECT", "BASE", "URL", "MODEL"]
    assert [line.split()[0] for line in lines[1:]] == ["local", "nanogpt", "llama"]
    assert lines[3].split() == ["llama", "custom", "llama.cpp", "http://127.0.0.1:8080/v1", "tiny"]

    assert run("list", "--json") == 0
    listed = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert listed["llama"] == {"name": "llama", "kind": "custom", "base_url":
                               "http://127.0.0.1:8080/v1", "dialect": "llama.cpp",
                               "default_model": "tiny", "concurrency": None,
                               "send_undocumented": False, "model": "tiny"}
    assert listed["local"]["base_url"] is None and listed["local"]["model"] == "local/stdlib"

    KeyStore().set("llama", "sk-for-llama")
    assert run("remove", "llama") == 0
    assert "Removed connection llama" in capsys.readouterr().out
    assert [c.name for c in ConnectionStore().all()] == ["local", "nanogpt"]
    assert memory_keyring.store == {}  # a later "llama" must not inherit the key


def test_adding_again_updates_and_nothing_secret_is_stored(
        capsys: pytest.CaptureFixture[str]) -> None:
    run("add", "vl", "--base-url", "http://10.0.0.2:8000/v1", "--dialect", "openai")
    assert run("add", "vl", "--base-url", "http://10.0.0.3:8000/v1", "--dialect", "vllm") == 0
    assert "Updated connection vl" in capsys.readouterr().out
    saved = json.loads(ConnectionStore().path.read_text())
    assert saved == [{"name": "vl", "kind": "custom", "base_url": "http://10.0.0.3:8000/v1",
                      "dialect": "vllm"}]


@pytest.mark.parametrize(("server", "dialect", "note"), [
    ("llamacpp", "llama.cpp", "box: detected: llama.cpp (owned_by llamacpp)"),
    ("textgen", "text-generation-webui", "box: detected: text-generation-webui (GET "
                                         "/v1/internal/model/info names a loader)"),
    ("openailike", "openai", "box: not detected (owned_by system names no known server); "
                             "using plain OpenAI-compatible (openai)"),
])
def test_by_default_the_dialect_is_detected(fault_server, capsys: pytest.CaptureFixture[str],
                                            server: str, dialect: str, note: str) -> None:
    assert run("add", "box", "--base-url", fault_server.url(server)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [note, f"Saved connection box: {fault_server.url(server)} ({dialect})"]
    assert ConnectionStore().get("box").dialect == dialect


def test_an_unreachable_server_is_saved_as_plain_openai_with_a_note(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run("add", "plain", "--base-url", f"http://127.0.0.1:{closed_port()}/v1") == 0
    assert capsys.readouterr().out.startswith(
        "plain: not detected (could not connect to 127.0.0.1); using plain OpenAI-compatible "
        "(openai)\n")
    assert ConnectionStore().get("plain").dialect == "openai"


def test_the_local_engine_is_detected_as_speaking_nanogpts_names(
        engine_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("add", "eng", "--base-url", engine_url, "--dialect", "detect") == 0
    assert "eng: detected: nanogpt (owned_by local: this app's local engine)" in (
        capsys.readouterr().out)
    assert ConnectionStore().get("eng").dialect == "nanogpt"


@pytest.mark.parametrize(("argv", "field"), [
    (["add", "x", "--base-url", "localhost:8080"], "base_url"),
    (["add", "x", "--base-url", "http://h/v1", "--dialect", "tgi"], "dialect"),
    (["add", "no spaces", "--base-url", "http://h/v1"], "name"),
    (["add", "local", "--base-url", "http://h/v1"], "connection"),
    (["remove", "nanogpt"], "connection"),
    (["remove", "missing"], "connection"),
    (["test", "missing"], "connection"),
])
def test_invalid_input_names_the_field(argv: list[str], field: str) -> None:
    with pytest.raises(InvalidParameter) as error:
        run(*argv)
    assert error.value.field == field
    assert error.value.message.startswith(f"{field}: ")
    assert [c.name for c in ConnectionStore().all()] == ["local", "nanogpt"]


def test_testing_nanogpt_without_a_key_says_how_to_set_one() -> None:
    with pytest.raises(InvalidParameter, match="api_key: no key for NanoGPT: set "
                                               "NANOGPT_API_KEY"):
        run("test", "nanogpt")


def test_testing_a_saved_server(engine_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    run("add", "eng", "--base-url", engine_url, "--dialect", "nanogpt")
    capsys.readouterr()
    assert run("test", "eng") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"ok: eng ({engine_url}, dialect nanogpt)"
    assert out[1].startswith("  models: ") and "local/stdlib" in out[1]
    assert out[2].startswith("  completion: ") and "finish: length" in out[2]


def test_testing_the_local_engine_starts_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("test", "local") == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: local (http://127.0.0.1:") and "from local/stdlib in " in out


def test_an_unreachable_server_is_an_api_error(capsys: pytest.CaptureFixture[str]) -> None:
    run("add", "gone", "--base-url", f"http://127.0.0.1:{closed_port()}/v1")
    capsys.readouterr()
    assert run("test", "gone") == 1
    err = capsys.readouterr().err
    assert "playground: gone (http://127.0.0.1:" in err
    assert "failed: Network error [connect_error]: could not connect to 127.0.0.1" in err


def test_a_refused_completion_reports_status_code_and_message(
        fault_server, capsys: pytest.CaptureFixture[str]) -> None:
    # The fault server lists models on any path, then answers the completion with a 401.
    run("add", "locked", "--base-url", fault_server.url("e401"), "--model", "m")
    capsys.readouterr()
    assert run("test", "locked") == 1
    err = capsys.readouterr().err
    assert "failed: HTTP 401 [invalid_api_key]: Invalid API key" in err
    assert "hint: The API key was refused" in err
    sent = fault_server.requests[-1].json()
    assert sent["max_tokens"] == 1 and sent["model"] == "m" and "stream" not in sent


def test_set_sends_undocumented_fields_for_nanogpt_only(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run("set", "nanogpt", "--send-undocumented", "yes") == 0
    assert "nanogpt now sends the fields NanoGPT does not document" in capsys.readouterr().out
    assert run("list") == 0
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row[:5] == ["nanogpt", "nanogpt", "nanogpt", "+", "undocumented"]
    listed = ConnectionStore().get("nanogpt")
    assert listed.send_undocumented and listed.speaks == "nanogpt, undocumented fields too"
    assert run("set", "nanogpt", "--send-undocumented", "no") == 0
    assert not ConnectionStore().get("nanogpt").send_undocumented
    with pytest.raises(InvalidParameter, match="send_undocumented: 'local' does not speak"):
        run("set", "local", "--send-undocumented", "yes")
    assert run("add", "mine", "--base-url", "http://127.0.0.1:9/v1", "--dialect", "nanogpt") == 0
    assert run("set", "mine", "--send-undocumented", "yes") == 0
    assert [c.name for c in ConnectionStore().custom()] == ["mine"]
    assert ConnectionStore().get("mine").send_undocumented


def test_set_a_connections_sweep_concurrency(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("set", "local", "--concurrency", "8") == 0
    assert "local: sweeps send 8 runs at once" in capsys.readouterr().out
    assert ConnectionStore().get("local").concurrency == 8
    assert ConnectionStore().get("local").kind == "local"  # still the built-in one
    assert run("set", "local", "--concurrency", "0") == 0
    assert ConnectionStore().get("local").concurrency is None
    with pytest.raises(InvalidParameter, match="concurrency"):
        run("set", "local", "--concurrency", "999")
    with pytest.raises(InvalidParameter, match="give --concurrency K or --send-undocumented"):
        run("set", "local")
