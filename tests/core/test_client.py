"""The client against a real, misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from playground.core.client import CompletionClient, Timeouts
from playground.core.errors import ApiError, StreamError
from playground.core.request import build_request
from playground.core.runs import RunResult, execute


def request(stream: bool = True, **params):
    return build_request("Say hello", "m", params, stream=stream)


async def run(server, scenario: str, **kwargs) -> RunResult:
    async with CompletionClient(server.url(scenario), kwargs.pop("key", None),
                                timeouts=kwargs.pop("timeouts", None)) as client:
        return await execute(client, request(**kwargs))


async def test_stream_yields_text_usage_and_extras(fault_server) -> None:
    result = await run(fault_server, "ok", temperature=0.5, key="sk-nano-secret")
    assert result.error is None
    assert result.text == "Hello, world!"
    assert result.finish_reason == "stop"
    assert result.usage.completion_tokens == 5 and result.usage.extra == {"cost": 0.0001}
    assert result.request_id == "req-123"
    assert result.ttft_ms is not None and result.ttft_ms >= 0
    sent = fault_server.requests[-1]
    assert sent.path == "/ok/v1/completions"
    assert sent.headers["authorization"] == "Bearer sk-nano-secret"
    assert sent.json() == {"model": "m", "prompt": "Say hello", "temperature": 0.5,
                           "stream": True}


async def test_no_key_no_authorization_header(fault_server) -> None:
    await run(fault_server, "ok")
    assert "authorization" not in fault_server.requests[-1].headers


async def test_crlf_comments_multiline_and_delta_content(fault_server) -> None:
    result = await run(fault_server, "crlf")
    assert result.error is None
    assert result.text == "Hello, world!+"


@pytest.mark.parametrize(("scenario", "status", "code", "message"), [
    ("e401", 401, "invalid_api_key", "Invalid API key"),
    ("e402", 402, None, "Insufficient balance"),
    ("e400seed", 400, "invalid_parameter_value", "temperature: bad"),
    ("e429", 429, "rate_limit_error", "Slow down"),
    ("e500text", 500, None, "Internal Server Error"),
    ("e503", 503, None, "Service unavailable"),
])
async def test_error_statuses_and_shapes(fault_server, scenario, status, code, message) -> None:
    result = await run(fault_server, scenario)
    error = result.error
    assert isinstance(error, ApiError) and not isinstance(error, StreamError)
    assert (error.status, error.code, error.message) == (status, code, message)
    assert error.request_id == "req-123"
    assert result.text == ""
    if scenario == "e429":
        assert error.retry_after == 7 and "retry in 7 s" in error.hint


@pytest.mark.parametrize(("scenario", "code", "kept"), [
    ("drop", "connection_dropped", "Hello,"),
    ("malformed", "malformed_frame", "Hel"),
    ("nodone", "incomplete_stream", "Hello"),
    ("errorframe", "upstream_error", "Hel"),
])
async def test_broken_streams_keep_the_text_so_far(fault_server, scenario, code, kept) -> None:
    result = await run(fault_server, scenario)
    assert isinstance(result.error, StreamError)
    assert result.error.code == code
    assert result.text == kept


async def test_wrong_content_type_is_an_error(fault_server) -> None:
    result = await run(fault_server, "html")
    assert isinstance(result.error, StreamError)
    assert "text/html" in result.error.message


async def test_json_answer_to_a_stream_request_is_accepted(fault_server) -> None:
    result = await run(fault_server, "json")
    assert result.error is None
    assert (result.text, result.finish_reason) == ("whole", "length")


async def test_non_streaming_completion(fault_server) -> None:
    result = await run(fault_server, "json", stream=False)
    assert result.text == "whole" and result.usage.total_tokens == 2
    assert "stream" not in fault_server.requests[-1].json()


async def test_read_timeout_keeps_partial_text(fault_server) -> None:
    result = await run(fault_server, "stall", timeouts=Timeouts(read=0.5))
    assert isinstance(result.error, StreamError) and result.error.code == "read_timeout"
    assert result.text == "Hel"


async def test_connection_refused() -> None:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with CompletionClient(f"http://127.0.0.1:{port}/v1") as client:
        result = await execute(client, request())
    assert result.error.status == 0 and result.error.code == "connect_error"
    assert "127.0.0.1" in result.error.message


async def test_cancellation_is_clean(fault_server) -> None:
    """Cancelling mid-stream keeps the partial result and leaves no warnings behind."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with CompletionClient(fault_server.url("stall")) as client:
            result = RunResult()
            task = asyncio.ensure_future(execute(client, request(), None, result))
            while not result.text:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        gc.collect()
        await asyncio.sleep(0.05)
    assert result.cancelled and result.text == "Hel"
    assert [str(w.message) for w in caught] == []


async def test_models_list(fault_server) -> None:
    async with CompletionClient(fault_server.url("ok")) as client:
        models = await client.models()
    assert [m.id for m in models] == ["a/model", "b/model"]
    assert models[0].context_length == 8192 and models[0].completion_price == 1.5
    assert fault_server.requests[-1].path == "/ok/v1/models?detailed=true"


async def test_model_catalog_is_cached_for_offline_use(fault_server) -> None:
    from playground.core.models import cached_model_list, fetch_model_list
    async with CompletionClient(fault_server.url("ok")) as client:
        fresh = await fetch_model_list(client, "srv")
    assert fresh.error is None and fresh.fresh and len(fresh.models) == 2
    async with CompletionClient("http://127.0.0.1:9/v1") as offline:
        cached = await fetch_model_list(offline, "srv")
    assert cached.error is not None and cached.error.status == 0 and not cached.fresh
    assert cached.models == fresh.models == cached_model_list("srv").models


async def test_providers_of_a_model(fault_server) -> None:
    async with CompletionClient(fault_server.url("ok")) as client:
        ids = await client.providers("a/model:fast")
    assert ids == ["novita", "deepinfra", "together"]
    # Beside /v1, with the id url-encoded as one path segment.
    assert fault_server.requests[-1].path == "/ok/models/a%2Fmodel%3Afast/providers"


def test_provider_ids_are_read_leniently() -> None:
    from playground.core.client import provider_ids
    assert provider_ids(["a", {"id": "b"}, {"name": "c"}, 3, "a"]) == ["a", "b", "c"]
    assert provider_ids({"supportsProviderSelection": False, "providers": ["a"]}) == []
    assert provider_ids({"data": [{"providerId": "x"}]}) == ["x"]
    assert provider_ids("nonsense") == []
