"""The sampler lab's data path: core.trace against the real engine over HTTP."""

from __future__ import annotations

import pytest

from playground.core.client import CompletionClient
from playground.core.errors import ApiError
from playground.core.trace import trace_step
from playground.engine.store import BUILTIN_ID


async def test_a_stage_removes_candidates_and_temperature_reshapes(base_url: str) -> None:
    async with CompletionClient(base_url) as client:
        trace = await trace_step(client, BUILTIN_ID, "The function returns the", "",
                                 {"top_k": 3, "temperature": 0.5, "seed": 1})
    assert trace.stages == ("model", "top_k", "temperature")
    removed = trace.removed_at(1)
    assert removed, "top_k 3 must remove candidates"
    assert all(c.probs[1] == 0 for c in removed)
    assert trace.survivors[1] == 3
    kept = [c for c in trace.candidates if c.removed_by is None]
    assert len(kept) == 3
    top = max(kept, key=lambda c: c.probs[1])
    assert top.probs[2] > top.probs[1]  # temperature below 1 sharpens the leader
    assert trace.chosen_id in {c.id for c in kept}


async def test_changing_a_parameter_redraws_the_same_step(base_url: str) -> None:
    async with CompletionClient(base_url) as client:
        a = await trace_step(client, BUILTIN_ID, "The function", " returns", {"min_p": 0.2})
        b = await trace_step(client, BUILTIN_ID, "The function", " returns", {"min_p": 0.01})
    assert [c.probs[0] for c in a.candidates[:5]] == [c.probs[0] for c in b.candidates[:5]]
    assert a.survivors[-1] < b.survivors[-1]


async def test_servers_without_the_trace_are_told_so(fault_server) -> None:
    async with CompletionClient(fault_server.url("json")) as client:
        with pytest.raises(ApiError, match="needs the built-in local engine"):
            await trace_step(client, "m", "p", "", {})


async def test_the_lab_replays_the_newer_samplers_too(base_url: str) -> None:
    """The lab's request goes to the local engine in its own dialect, fields beyond NanoGPT's
    API included (a NanoGPT request would leave them out)."""
    async with CompletionClient(base_url) as client:
        trace = await trace_step(client, BUILTIN_ID, "The function returns the", "",
                                 {"top_n_sigma": 1.0, "dry_multiplier": 0.8, "seed": 1})
    assert trace.stages == ("model", "dry_multiplier", "top_n_sigma")
    assert trace.survivors[2] < trace.survivors[1]  # top-n-sigma cut the tail
