from __future__ import annotations

import json
import shlex
import subprocess
import sys

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core.catalog import BY_NAME
from playground.core.errors import InvalidParameter
from playground.core.request import (
    NANOGPT_KEY_ENV,
    build_request,
    preview_curl,
    preview_json,
    preview_python,
)
from playground.core.routing import ProviderRouting, Routing
from tests.spec_schema import request_schema
from tests.strategies import param_sets

SCHEMA = request_schema()


@given(params=param_sets(), stream=st.booleans())
@settings(max_examples=300)
def test_body_holds_exactly_the_set_fields_and_is_valid(params: dict, stream: bool) -> None:
    request = build_request("Once upon a time", "zai-org/glm-5:online", params, stream=stream)
    body = request.body()
    expected = {"model", "prompt", *params} | ({"stream"} if stream else set())
    assert set(body) == expected
    assert json.loads(json.dumps(body)) == body
    sent = request.wire_body()  # to NanoGPT: what its API documents, nothing more
    jsonschema.validate(sent, SCHEMA)
    assert set(sent) == expected - {name for name in params if BY_NAME[name].beyond_seed}


def test_routing_in_body_and_headers_valid_against_spec() -> None:
    routing = Routing(provider=ProviderRouting(order=["a"], only=["b"], ignore=["c"],
                                               sort="price", allow_fallbacks=False,
                                               require_parameters=True),
                      billing_mode="pay_as_you_go")
    request = build_request("p", "m", {}, routing)
    jsonschema.validate(request.body(), SCHEMA)
    assert request.body()["provider"]["sort"] == "price"
    assert request.body()["billing_mode"] == "paygo"
    with_header = build_request("p", "m", {}, Routing(header_provider="x"))
    assert with_header.headers()["X-Provider"] == "x"


def test_headers_carry_the_key_only_when_given() -> None:
    request = build_request("p", "m", {})
    assert "Authorization" not in request.headers()
    assert request.headers(api_key="sk-nano-1")["Authorization"] == "Bearer sk-nano-1"


def test_invalid_input_is_refused_before_anything_is_built() -> None:
    with pytest.raises(InvalidParameter, match="^temperature: "):
        build_request("p", "m", {"temperature": 9})
    with pytest.raises(InvalidParameter, match="routing suffix :cheap"):
        build_request("p", "m:cheap", {}, Routing(provider="x"))


def test_previews_redact_the_key_and_match_the_body() -> None:
    request = build_request("Say \"hi\" it's\nme", "m", {"stop": ["\n"], "logprobs": True})
    body = request.body()
    assert json.loads(preview_json(request)) == body
    curl = preview_curl(request, "https://nano-gpt.com/api/v1", key_env=NANOGPT_KEY_ENV)
    assert "sk-" not in curl
    assert f'"Authorization: Bearer ${NANOGPT_KEY_ENV}"' in curl
    words = shlex.split(curl.replace("\\\n", " "))
    assert words[1] == "https://nano-gpt.com/api/v1/completions"
    assert json.loads(words[words.index("-d") + 1]) == body
    local = preview_curl(request, "http://127.0.0.1:1/v1", key_env=None)
    assert "Authorization" not in local


def test_python_preview_is_valid_python_that_builds_the_same_body(monkeypatch) -> None:
    monkeypatch.setenv("NANOGPT_API_KEY", "sk-nano-test")
    request = build_request("a 'quoted' prompt", "m", {"ignore_eos": True, "stop": "'''"},
                            Routing(header_provider="p"))
    code = preview_python(request, "https://nano-gpt.com/api/v1", key_env=NANOGPT_KEY_ENV)
    assert 'os.environ["NANOGPT_API_KEY"]' in code
    compile(code, "<preview>", "exec")
    setup = code.split("with httpx.stream")[0]
    namespace: dict = {}
    exec(setup.replace("import httpx", ""), namespace)  # our own generated code
    assert namespace["body"] == request.body()
    assert namespace["URL"] == "https://nano-gpt.com/api/v1/completions"
    assert namespace["headers"]["X-Provider"] == "p"
    assert namespace["headers"]["Authorization"] == "Bearer sk-nano-test"


def test_python_preview_runs_for_real(fault_server) -> None:
    """The snippet is not just valid: it streams from a real server."""
    request = build_request("hi", "m", {})
    code = preview_python(request, fault_server.url("ok"), key_env=None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30, check=True)
    assert out.stdout == "Hello, world!"


def test_dialect_translates_the_wire_body_and_previews_but_not_the_record() -> None:
    request = build_request("p", "m", {"repetition_penalty": 1.1, "tfs": 0.5},
                            Routing(provider="x", header_provider="y"), dialect="llama.cpp")
    assert request.body()["repetition_penalty"] == 1.1
    wire = request.wire_body()
    assert wire["repeat_penalty"] == 1.1
    assert "repetition_penalty" not in wire
    assert "tfs" not in wire
    assert "provider" not in wire
    assert "X-Provider" not in request.headers()
    assert json.loads(preview_json(request)) == wire
    assert any("tfs" in note for note in request.translation().notes)
    nano = build_request("p", "m", {}, Routing(header_provider="y"))
    assert nano.headers()["X-Provider"] == "y"
    assert nano.wire_body() == nano.body()
