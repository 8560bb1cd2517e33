"""Every way the engine's ``POST /v1/completions`` refuses a request, over real HTTP: each answer
is a status the spec documents for that endpoint (200 or 400) with a body in its ``Error``
shape."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from playground.engine import wire
from playground.engine.model import CONTEXT_LENGTH
from playground.engine.store import BUILTIN_ID, trained_models_dir
from tests.spec_schema import spec

BODY: dict[str, Any] = {"model": BUILTIN_ID, "prompt": "The file", "max_tokens": 3, "seed": 1}
JSON = {"content-type": "application/json"}


def documented_statuses() -> set[int]:
    return {int(status) for status in spec()["paths"]["/v1/completions"]["post"]["responses"]}


def error_schema() -> dict[str, Any]:
    return spec()["components"]["schemas"]["Error"]


def body(**change: Any) -> bytes:
    return json.dumps({**BODY, **change}).encode()


#: name -> (raw body, extra headers, the error's code, its param)
CASES: dict[str, tuple[bytes, dict[str, str], str, str | None]] = {
    "malformed JSON": (b"{nope", JSON, "invalid_json", None),
    "empty body": (b"", JSON, "invalid_json", None),
    "not UTF-8": (b'{"model": "\xff"}', JSON, "invalid_json", None),
    "form data instead of JSON": (b"model=local%2Fstdlib&prompt=hi",
                                  {"content-type": "application/x-www-form-urlencoded"},
                                  "invalid_content_type", None),
    "JSON sent as text/plain": (body(), {"content-type": "text/plain"}, "invalid_content_type",
                                None),
    "no content type": (body(), {}, "invalid_content_type", None),
    "JSON but not an object": (b'["a"]', JSON, "invalid_json", None),
    "nested too deeply": (b'{"logit_bias": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON,
                          "invalid_json", None),
    "number too long": (b'{"seed": ' + b"9" * 5000 + b"}", JSON, "invalid_json", None),
    "no model": (json.dumps({"prompt": "p"}).encode(), JSON, "invalid_parameter_value",
                 "model"),
    "prompt not a string": (body(prompt=["a"]), JSON, "invalid_parameter_value", "prompt"),
    "stream not a boolean": (body(stream="yes"), JSON, "invalid_parameter_value", "stream"),
    "trace not a boolean": (body(x_sampler_trace=1), JSON, "invalid_parameter_value",
                            "x_sampler_trace"),
    "prefix not a string": (body(x_completion_prefix=3), JSON, "invalid_parameter_value",
                            "x_completion_prefix"),
    "unknown field": (body(frobnicate=1), JSON, "invalid_parameter_value", "frobnicate"),
    "value out of range": (body(temperature=3), JSON, "invalid_parameter_value",
                           "temperature"),
    "bad model suffix": (body(model=f"{BUILTIN_ID}:memory-999"), JSON,
                         "invalid_parameter_value", "model"),
    "max_tokens over the engine's limit": (body(max_tokens=wire.MAX_OUTPUT_TOKENS + 1), JSON,
                                           "invalid_parameter_value", "max_tokens"),
    "unknown model": (body(model="acme/giant"), JSON, "model_not_found", "model"),
    "token id past the vocabulary": (body(custom_token_bans=[10**6]), JSON,
                                     "invalid_parameter_value", "custom_token_bans"),
    "token id past 64 bits": (body(logit_bias={str(10**30): 1}), JSON,
                              "invalid_parameter_value", "logit_bias"),
    "stop token id past the vocabulary": (body(stop_token_ids=[10**6]), JSON,
                                          "invalid_parameter_value", "stop_token_ids"),
    "prompt longer than the context": (body(prompt="word " * (CONTEXT_LENGTH + 10)), JSON,
                                       "context_length_exceeded", "prompt"),
    "body too large": (body(prompt="x" * wire.MAX_BODY_BYTES), JSON, "request_too_large",
                       None),
}


def assert_seed_error(response: httpx.Response, code: str, param: str | None) -> dict[str, Any]:
    assert response.status_code in documented_statuses() - {200}, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()
    jsonschema.validate(error, error_schema())
    assert error["error"] == response.status_code
    assert (error["code"], error["param"]) == (code, param), error
    assert error["message"]
    return error


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("name", list(CASES))
def test_every_refusal_is_a_documented_status_in_the_seed_error_shape(
        base_url: str, name: str, stream: bool) -> None:
    raw, headers, code, param = CASES[name]
    if stream and raw.startswith(b'{"model"') and b'"stream"' not in raw:  # ask to stream
        raw = raw[:-1] + b', "stream": true}'
    response = httpx.post(f"{base_url}/completions", content=raw, headers=headers, timeout=60)
    error = assert_seed_error(response, code, param)
    assert error["type"] == "invalid_request_error"


def test_unknown_model_names_the_field_and_what_is_available(base_url: str) -> None:
    error = assert_seed_error(httpx.post(f"{base_url}/completions", content=body(model="acme/x"),
                                         headers=JSON, timeout=60), "model_not_found", "model")
    assert "'acme/x'" in error["message"] and f"(available: {BUILTIN_ID}" in error["message"]


@pytest.fixture
def unreadable_model(playground_home: Path) -> Iterator[str]:
    """A user model file that is damaged, where setting it aside fails (a folder is in the
    way): the engine meets an error it has no message for."""
    folder = trained_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.npz").write_bytes(b"not a model")
    (folder / "broken.npz.corrupt").mkdir()
    (folder / "broken.npz.corrupt" / "keep").write_text("in the way")
    yield "local/broken"
    (folder / "broken.npz").unlink()
    shutil.rmtree(folder / "broken.npz.corrupt")


def test_a_fault_of_the_engine_is_a_400_of_server_error_type(base_url: str,
                                                             unreadable_model: str) -> None:
    response = httpx.post(f"{base_url}/completions", content=body(model=unreadable_model),
                          headers=JSON, timeout=60)
    error = assert_seed_error(response, "internal_error", None)
    assert error["type"] == "server_error"
    # The engine is still well after it.
    assert httpx.post(f"{base_url}/completions", content=body(), headers=JSON,
                      timeout=60).status_code == 200


def test_outside_the_endpoint_statuses_stay_http_ones(base_url: str) -> None:
    wrong_method = httpx.get(f"{base_url}/completions", timeout=30)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == 405
    unknown_path = httpx.post(f"{base_url}/nothing", content=body(), headers=JSON, timeout=30)
    assert unknown_path.status_code == 404 and unknown_path.json()["error"] == 404
