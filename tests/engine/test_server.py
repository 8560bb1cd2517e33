"""The real server over HTTP on 127.0.0.1, started as a subprocess by EngineProcess."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from typing import Any

import httpx
import openai
import pytest

from playground.engine.model import LanguageModel
from playground.engine.store import BUILTIN_ID

BODY: dict[str, Any] = {"model": BUILTIN_ID, "prompt": "The file", "max_tokens": 20,
                        "seed": 42, "ignore_eos": True}


def post(base_url: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return httpx.post(f"{base_url}/completions", json=body, timeout=30, **kwargs)


def stream_events(base_url: str, body: dict[str, Any]) -> list[Any]:
    events: list[Any] = []
    with httpx.stream("POST", f"{base_url}/completions", json={**body, "stream": True},
                      timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-request-id"]
        raw = response.read().decode()
    frames = raw.split("\n\n")
    assert frames[-1] == "" and frames[-2] == "data: [DONE]"
    for frame in frames[:-2]:
        assert frame.startswith("data: ")
        events.append(json.loads(frame.removeprefix("data: ")))
    return events


def test_non_streaming_completion_shape(base_url: str) -> None:
    response = post(base_url, BODY)
    assert response.status_code == 200
    assert len(response.headers["x-request-id"]) == 32
    data = response.json()
    assert data["object"] == "text_completion"
    assert data["id"] == f"cmpl-{response.headers['x-request-id']}"
    assert isinstance(data["created"], int) and data["model"] == BUILTIN_ID
    (choice,) = data["choices"]
    assert set(choice) == {"text", "index", "logprobs", "finish_reason"}
    assert choice["index"] == 0 and choice["logprobs"] is None
    assert choice["finish_reason"] == "length" and choice["text"]
    usage = data["usage"]
    assert usage["completion_tokens"] == 20
    assert usage["prompt_tokens"] == 2
    assert usage["total_tokens"] == 22


def test_streaming_sends_one_chunk_per_token_then_done(base_url: str) -> None:
    events = stream_events(base_url, BODY)
    assert len(events) == 20
    assert all(e["object"] == "text_completion" and len({e["id"] for e in events}) == 1
               for e in events)
    assert all(e["choices"][0]["finish_reason"] is None and "usage" not in e
               for e in events[:-1])
    assert events[-1]["choices"][0]["finish_reason"] == "length"
    assert events[-1]["usage"] == {"prompt_tokens": 2, "completion_tokens": 20,
                                   "total_tokens": 22}


def test_same_seed_same_text_streamed_or_not(base_url: str) -> None:
    whole = post(base_url, BODY).json()["choices"][0]["text"]
    streamed = "".join(e["choices"][0]["text"] for e in stream_events(base_url, BODY))
    assert streamed == whole
    api = httpx.post(base_url.removesuffix("/v1") + "/api/v1/completions", json=BODY,
                     timeout=30)
    assert api.json()["choices"][0]["text"] == whole
    other = post(base_url, {**BODY, "seed": 43}).json()["choices"][0]["text"]
    assert other != whole


def test_stop_strings_over_the_wire(base_url: str) -> None:
    greedy = {**BODY, "temperature": 0, "max_tokens": 30}
    full = post(base_url, greedy).json()["choices"][0]["text"]
    stop = full[5:8]
    cut = full[:full.index(stop)]
    for body in ({**greedy, "stop": stop}, {**greedy, "stop": ["\x00never", stop]}):
        choice = post(base_url, body).json()["choices"][0]
        assert (choice["text"], choice["finish_reason"]) == (cut, "stop")
        events = stream_events(base_url, body)
        assert "".join(e["choices"][0]["text"] for e in events) == cut
        assert events[-1]["choices"][0]["finish_reason"] == "stop"
    kept = post(base_url, {**greedy, "stop": stop, "include_stop_str_in_output": True})
    assert kept.json()["choices"][0]["text"] == cut + stop


def test_logprobs_in_the_legacy_shape(base_url: str) -> None:
    data = post(base_url, {**BODY, "logprobs": 2, "prompt_logprobs": True,
                           "max_tokens": 5}).json()
    choice = data["choices"][0]
    logprobs = choice["logprobs"]
    assert set(logprobs) == {"tokens", "token_logprobs", "top_logprobs", "text_offset"}
    assert len(logprobs["tokens"]) == 5 == len(logprobs["token_logprobs"])
    assert all(len(top) == 2 for top in logprobs["top_logprobs"])
    assert "".join(logprobs["tokens"]) == choice["text"]
    assert logprobs["text_offset"][0] == 0
    assert list(choice["prompt_logprobs"]["tokens"]) == ["The", " file"]
    flag = post(base_url, {**BODY, "logprobs": True, "max_tokens": 3}).json()
    assert flag["choices"][0]["logprobs"]["top_logprobs"] is None
    events = stream_events(base_url, {**BODY, "logprobs": 1, "max_tokens": 3})
    assert [len(e["choices"][0]["logprobs"]["tokens"]) for e in events] == [1, 1, 1]


def test_sampler_trace_extension(base_url: str) -> None:
    body = {**BODY, "max_tokens": 3, "x_sampler_trace": True, "top_k": 4, "temperature": 0.7}
    choice = post(base_url, body).json()["choices"][0]
    assert len(choice["x_sampler_trace"]) == 3
    item = choice["x_sampler_trace"][0]
    assert item["stages"] == ["model", "ignore_eos", "top_k", "temperature"]
    assert item["survivors"][-2:] == [4, 4]
    kept = [c for c in item["candidates"] if c["removed_by"] is None]
    assert len(kept) == 4 and any(c["id"] == item["chosen"]["id"] for c in kept)
    assert all(c["removed_by"] in ("top_k", "ignore_eos") for c in item["candidates"]
               if c["removed_by"])
    assert all(len(c["probs"]) == 4 for c in item["candidates"])
    events = stream_events(base_url, body)
    assert [len(e["choices"][0]["x_sampler_trace"]) for e in events] == [1, 1, 1]


@pytest.mark.parametrize(("change", "param"), [
    ({"temperature": 3}, "temperature"),
    ({"top_p": -0.1}, "top_p"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"max_tokens": 100_000}, "max_tokens"),
    ({"logit_bias": {"999999": 1}}, "logit_bias"),
    ({"custom_token_bans": [-1]}, "custom_token_bans"),
    ({"mirostat_mode": 3}, "mirostat_mode"),
    ({"stop": ""}, "stop"),
    ({"frobnicate": 1}, "frobnicate"),
    ({"prompt": None}, "prompt"),
    ({"prompt": ["a", "b"]}, "prompt"),
    ({"stream": "yes"}, "stream"),
])
def test_invalid_requests_are_400_naming_the_field(base_url: str, change: dict[str, Any],
                                                   param: str) -> None:
    response = post(base_url, {**BODY, **change})
    assert response.status_code == 400
    error = response.json()
    assert error["error"] == 400 and error["param"] == param
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "invalid_parameter_value"
    assert error["message"].startswith(f"{param}:")


def test_catalog_message_is_passed_through(base_url: str) -> None:
    error = post(base_url, {**BODY, "temperature": 3}).json()
    assert error["message"] == ("temperature: 3 is above the maximum 2 "
                                "(allowed: a number from 0 to 2)")


def test_malformed_json_and_unknown_model(base_url: str) -> None:
    bad = httpx.post(f"{base_url}/completions", content=b"{nope",
                     headers={"content-type": "application/json"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_json"
    missing = post(base_url, {**BODY, "model": "acme/giant"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "model_not_found" and missing.json()["param"] == "model"


def test_routing_fields_auth_and_suffixes_are_accepted(base_url: str) -> None:
    body = {**BODY, "model": f"{BUILTIN_ID}:online:fast", "provider": {"order": ["x"]},
            "billing_mode": "paygo", "billingMode": "paygo", "user": "me",
            "stream_options": {"include_usage": True}}
    headers = {"Authorization": "Bearer sk-nano-x", "X-Provider": "x", "X-Billing-Mode": "paygo"}
    response = post(base_url, body, headers=headers)
    assert response.status_code == 200
    assert response.json()["choices"][0]["text"] == post(base_url, BODY).json()[
        "choices"][0]["text"]


def test_models_list(base_url: str) -> None:
    data = httpx.get(f"{base_url}/models", timeout=30).json()
    assert data["object"] == "list"
    assert next(m["id"] for m in data["data"]) == BUILTIN_ID
    assert "pricing" not in data["data"][0]
    detailed = httpx.get(base_url.removesuffix("/v1") + "/api/v1/models?detailed=true",
                         timeout=30).json()["data"][0]
    assert detailed["pricing"] == {"prompt": 0, "completion": 0}
    assert detailed["context_length"] > 0 and detailed["max_output_tokens"] > 0
    assert "Not an LLM" in detailed["description"] and detailed["capabilities"]


def test_unknown_route_is_a_json_404(base_url: str) -> None:
    response = httpx.get(f"{base_url}/nothing", timeout=30)
    assert response.status_code == 404 and response.json()["error"] == 404


async def test_concurrent_streams(base_url: str) -> None:
    async def one(seed: int) -> str:
        parts = []
        async with httpx.AsyncClient(timeout=30) as client, client.stream(
                "POST", f"{base_url}/completions",
                json={**BODY, "seed": seed, "max_tokens": 60, "stream": True}) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    parts.append(json.loads(line[6:])["choices"][0]["text"])
        return "".join(parts)

    together = await asyncio.gather(*(one(seed) for seed in range(4)))
    for seed, text in enumerate(together):
        alone = post(base_url, {**BODY, "seed": seed, "max_tokens": 60}).json()
        assert text == alone["choices"][0]["text"]


def test_official_openai_sdk_streams(base_url: str, model: LanguageModel) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="x")
    stream = client.completions.create(model=BUILTIN_ID, prompt="The file", max_tokens=20,
                                       seed=42, stream=True, extra_body={"ignore_eos": True})
    chunks = list(stream)
    assert len(chunks) == 20
    text = "".join(chunk.choices[0].text for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "length"
    whole = client.completions.create(model=BUILTIN_ID, prompt="The file", max_tokens=20,
                                      seed=42, extra_body={"ignore_eos": True})
    assert whole.choices[0].text == text
    assert whole.usage is not None and whole.usage.completion_tokens == 20
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=BUILTIN_ID, prompt="x", temperature=5)
    assert "temperature" in str(caught.value)


def test_curl_streams(base_url: str) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is required for this test and was not found on PATH")
    body = json.dumps({**BODY, "stream": True, "max_tokens": 5})
    result = subprocess.run([curl, "-sSN", "-H", "Content-Type: application/json",
                             "-d", body, f"{base_url}/completions"],
                            capture_output=True, text=True, timeout=30, check=True)
    frames = [f for f in result.stdout.split("\n\n") if f]
    assert frames[-1] == "data: [DONE]"
    assert len(frames) == 6
    assert json.loads(frames[-2].removeprefix("data: "))["choices"][0]["finish_reason"] == \
        "length"


def test_tokenize_and_detokenize_round_trip(base_url: str, model: LanguageModel) -> None:
    root = base_url.removesuffix("/v1")
    text = "Tokenize this — with ünïcode."
    ids = httpx.post(f"{root}/tokenize", json={"content": text}, timeout=30).json()["tokens"]
    assert ids == model.tokenizer.encode(text)
    pieces = httpx.post(f"{root}/tokenize", json={"content": text, "with_pieces": True},
                        timeout=30).json()["tokens"]
    assert [p["id"] for p in pieces] == ids
    back = httpx.post(f"{root}/detokenize", json={"tokens": ids}, timeout=30).json()
    assert back == {"content": text}
    bad = httpx.post(f"{root}/detokenize", json={"tokens": [-1]}, timeout=30)
    assert bad.status_code == 400
    assert bad.json()["param"] == "tokens"


async def test_client_tokenize(base_url: str, model: LanguageModel) -> None:
    from playground.core.client import CompletionClient

    async with CompletionClient(base_url) as client:
        tokens = await client.tokenize("Hello world")
    assert [i for i, _ in tokens] == model.tokenizer.encode("Hello world")
    assert "".join(piece for _, piece in tokens) == "Hello world"


@pytest.mark.parametrize("setting", [
    {"dry_multiplier": 3.0, "dry_allowed_length": 1}, {"top_n_sigma": 0.5},
    {"xtc_probability": 1.0, "xtc_threshold": 0.02}, {"smoothing_factor": 2.0},
    {"dynatemp_range": 1.0}], ids=lambda setting: next(iter(setting)))
def test_each_newer_sampler_changes_the_output_and_shows_in_the_trace(
        base_url: str, setting: dict[str, Any]) -> None:
    body = {**BODY, "max_tokens": 60, "x_sampler_trace": True}
    plain = post(base_url, body).json()["choices"][0]
    changed = post(base_url, {**body, **setting}).json()["choices"][0]
    assert changed["text"] != plain["text"]
    stages = {stage for step in changed["x_sampler_trace"] for stage in step["stages"]}
    assert next(iter(setting)) in stages


async def test_token_pieces_add_up_to_the_text_even_where_a_token_splits_a_character(
        base_url: str, model: LanguageModel) -> None:
    from playground.core.client import CompletionClient
    from playground.core.token_spans import exact_spans

    text = "Smile 🤗, שלום and ✓ done"
    raw = httpx.post(f"{base_url.removesuffix('/v1')}/tokenize",
                     json={"content": text, "with_pieces": True}, timeout=30).json()["tokens"]
    assert any(isinstance(t["piece"], list) for t in raw)  # bytes, as llama.cpp writes them
    async with CompletionClient(base_url) as client:
        pieces = await client.token_pieces(text)
        shown = await client.tokenize(text)
    spans = exact_spans(text, pieces)
    assert spans is not None and [s.id for s in spans] == model.tokenizer.encode(text)
    assert any(piece.startswith("bytes:\\x") for _, piece in shown)
