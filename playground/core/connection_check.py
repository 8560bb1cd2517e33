"""Checking a connection, as ``playground connections test`` and Settings' Test do: fetch its
model list, then run a 1-token completion, timing each."""

from __future__ import annotations

import time
from dataclasses import dataclass

from playground.core.client import CompletionClient
from playground.core.errors import ApiError
from playground.core.request import build_request

#: What the check sends: a prompt that every tokenizer splits into something.
CHECK_PROMPT = "Hello"


@dataclass(frozen=True)
class Probe:
    """What the check found out."""

    models: list[str]
    models_ms: float
    model: str
    text: str
    finish_reason: str | None
    completion_ms: float


async def probe(base_url: str, api_key: str | None, model: str,
                allow_insecure_key: bool = False) -> Probe:
    """Raises `ApiError` for what the server or the network refused, and `InvalidParameter`
    for a key that may not go to `base_url`."""
    async with CompletionClient(base_url, api_key,
                                allow_insecure_key=allow_insecure_key) as client:
        started = time.perf_counter()
        models = [m.id for m in await client.models()]
        models_ms = (time.perf_counter() - started) * 1000
        model = model or (models[0] if models else "")
        if not model:
            raise ApiError(0, "the server lists no models and the connection has no default "
                              "model; add it again with --model", code="no_model")
        request = build_request(CHECK_PROMPT, model, {"max_tokens": 1}, stream=False)
        started = time.perf_counter()
        event = await client.complete(request)
        completion_ms = (time.perf_counter() - started) * 1000
    return Probe(models, models_ms, model, event.text, event.finish_reason, completion_ms)
