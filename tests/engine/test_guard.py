"""The engine answers only its own clients: no cross-site simple requests, no DNS rebinding, and
a key when asked for one. Through real HTTP to real engine processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from playground.core.engine_process import EngineProcess
from playground.engine.guard import Guard, is_loopback
from playground.engine.model import LanguageModel
from playground.engine.store import BUILTIN_ID

BODY = {"model": BUILTIN_ID, "prompt": "The", "max_tokens": 2, "seed": 1}
KEY = "sk-engine-0123456789abcdef"


def port_of(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1].split("/")[0])


def post(base_url: str, *, host: str | None = None, content_type: str = "application/json",
         headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {"Content-Type": content_type, **(headers or {})}
    if host is not None:
        sent["Host"] = host
    return httpx.post(f"{base_url}/completions", content=json.dumps(BODY), headers=sent,
                      timeout=30)


def test_a_cross_site_simple_request_is_refused_without_cors_headers(base_url: str) -> None:
    port = port_of(base_url)
    answer = post(base_url, host=f"evil.example:{port}", content_type="text/plain",
                  headers={"Origin": "http://evil.example"})
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_host"
    assert "evil.example" in answer.json()["message"]
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)


def test_dns_rebinding_is_refused_even_with_a_json_body(base_url: str) -> None:
    answer = post(base_url, host=f"rebind.attacker.example:{port_of(base_url)}")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_host"


def test_a_body_not_declared_json_is_refused_from_a_loopback_host(base_url: str) -> None:
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        answer = post(base_url, content_type=kind)
        assert answer.status_code == 400, kind
        assert answer.json()["code"] == "invalid_content_type"
        assert answer.json()["error"] == 400  # the seed's error shape


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_loopback_names_with_json_are_served(base_url: str, host: str) -> None:
    answer = post(base_url, host=f"{host}:{port_of(base_url)}",
                  content_type="application/json; charset=utf-8")
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["text"]
    assert "access-control-allow-origin" not in answer.headers


def test_a_preflight_is_never_granted(base_url: str) -> None:
    answer = httpx.options(f"{base_url}/completions", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}, timeout=10)
    assert answer.status_code >= 400
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)


@contextmanager
def serve(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`playground serve ARGS` as a real process; yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "playground.engine", "serve", "--port", "0",
         "--exit-on-stdin-eof", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "serving at" in line, process.stderr.read() if process.stderr else ""
        yield line.split()[-1]
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)


@pytest.fixture(scope="module")
def keyed(model: LanguageModel) -> Iterator[str]:
    with serve("--api-key", KEY) as url:
        yield url


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": f"Basic {KEY}"},
                                     {"Authorization": f"Bearer {KEY}x"},
                                     {"X-API-Key": KEY[:-1]}])
def test_with_a_key_every_request_without_it_is_refused(keyed: str,
                                                        headers: dict[str, str]) -> None:
    answer = post(keyed, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_api_key"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{keyed}/models", headers=headers, timeout=10).status_code == 401


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {KEY}"},
                                     {"Authorization": f"bearer {KEY}"}, {"X-API-Key": KEY}])
def test_with_the_key_the_engine_answers(keyed: str, headers: dict[str, str]) -> None:
    assert post(keyed, headers=headers).status_code == 200
    models = httpx.get(f"{keyed}/models", headers=headers, timeout=10)
    assert models.status_code == 200 and models.json()["data"]


def test_the_key_can_come_from_the_environment(model: LanguageModel) -> None:
    with serve(env={"PLAYGROUND_ENGINE_API_KEY": KEY}) as url:
        assert post(url).status_code == 401
        assert post(url, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_a_non_loopback_bind_needs_a_key_or_the_insecure_flag() -> None:
    done = subprocess.run([sys.executable, "-m", "playground.engine", "serve", "--host",
                           "0.0.0.0", "--port", "0"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PLAYGROUND_ENGINE_API_KEY": ""})
    assert done.returncode == 2
    assert "--api-key" in done.stderr and "--insecure-no-key" in done.stderr
    assert "0.0.0.0" in done.stderr


def test_bound_to_every_interface_any_host_name_is_served(model: LanguageModel) -> None:
    with serve("--host", "0.0.0.0", "--insecure-no-key") as url:
        local = url.replace("0.0.0.0", "127.0.0.1")
        assert post(local, host=f"my-machine.lan:{port_of(url)}").status_code == 200
        assert post(local, content_type="text/plain").status_code == 400


def test_the_app_s_own_engine_process_still_answers_the_app(engine: EngineProcess) -> None:
    answer = httpx.post(f"{engine.base_url}/completions", json=BODY, timeout=30)
    assert answer.status_code == 200
    tokens = httpx.post(engine.base_url.removesuffix("/v1") + "/tokenize",
                        json={"content": "hello"}, timeout=30)
    assert tokens.status_code == 200 and tokens.json()["tokens"]


@pytest.mark.parametrize(("bound", "host", "allowed"), [
    ("127.0.0.1", "127.0.0.1:80", True), ("127.0.0.1", "localhost", True),
    ("127.0.0.1", "[::1]:8765", True), ("::1", "[::1]:1", True),
    ("127.0.0.1", "evil.example", False), ("127.0.0.1", "127.0.0.1.evil.example:80", False),
    ("127.0.0.1", "", False), ("192.168.1.5", "192.168.1.5:8765", True),
    ("192.168.1.5", "localhost:8765", False), ("0.0.0.0", "anything:1", True),
])
def test_host_names_are_matched_without_port_or_brackets(bound: str, host: str,
                                                         allowed: bool) -> None:
    scope = {"type": "http", "method": "GET", "headers": [(b"host", host.encode())]}
    refusal = Guard.for_address(bound).refusal(scope)
    assert (refusal is None) == allowed, refusal and refusal.message


@pytest.mark.parametrize(("kind", "is_json"), [
    ("application/json", True), ("Application/JSON; charset=utf-8", True),
    ("application/merge-patch+json", True), ("text/plain", False), ("text/json", False),
    ("application/jsonp", False), ("", False)])
def test_only_json_media_types_pass(kind: str, is_json: bool) -> None:
    scope = {"type": "http", "method": "POST",
             "headers": [(b"host", b"localhost"), (b"content-type", kind.encode())]}
    assert (Guard.for_address("127.0.0.1").refusal(scope) is None) == is_json


def test_loopback_addresses() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "localhost", "a.localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "example.com", "::"]))
