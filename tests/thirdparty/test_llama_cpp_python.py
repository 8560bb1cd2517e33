"""The llama-cpp-python dialect against the real server (tiny random model, seeded sampling).

Texts are compared, not read: a field the server honours at a strong setting changes the seeded
text, a field it ignores leaves it exactly as it was.
"""

from __future__ import annotations

from typing import Any

import pytest

from playground.core.catalog import BY_NAME, validate_params
from playground.core.client import CompletionClient
from playground.core.dialects import translate, unsupported
from playground.core.logprobs import read, read_all
from playground.core.request import CompletionRequest, build_request
from playground.core.runs import RunResult, execute
from tests.thirdparty.llama_server import LlamaServer

pytestmark = pytest.mark.thirdparty
DIALECT = "llama-cpp-python"
BASE = {"max_tokens": 12, "seed": 7}

#: A setting that would change the text, for every field the table calls unsupported.
IGNORED: dict[str, Any] = {
    "ignore_eos": True, "no_repeat_ngram_size": 1, "top_a": 0.9,
    "tfs": 0.2, "typical_p": 0.2, "epsilon_cutoff": 0.2, "eta_cutoff": 0.2,
    "stop_token_ids": list(range(3, 90)), "include_stop_str_in_output": True,
    "custom_token_bans": list(range(4, 60)), "prompt_logprobs": True,
    # The newer samplers, which its server lacks (llama_cpp/server/types.py has none):
    "dry_multiplier": 5.0, "dry_base": 3.0, "dry_allowed_length": 1, "dry_penalty_last_n": 2,
    "dry_sequence_breakers": ["a"], "top_n_sigma": 0.1, "xtc_probability": 1.0,
    "xtc_threshold": 0.01, "dynatemp_range": 4.0, "dynatemp_exponent": 0.1,
    "smoothing_factor": 9.0, "smoothing_curve": 3.0,
    # nor banned phrases or a sampler order
    "banned_strings": [" the", "a", "e"], "sampler_order": ["temperature", "top_k"],
}
#: Settings of fields it honours that visibly change the text of this model.
HONOURED: dict[str, Any] = {
    "temperature": 0.05, "top_k": 1, "top_p": 0.05, "min_p": 0.6, "repetition_penalty": 2.0,
    "presence_penalty": 2.0, "frequency_penalty": 2.0, "mirostat_mode": 2,
    "logit_bias": {str(i): -100.0 for i in range(4, 60)},
}


def translated(params: dict[str, Any], *, stream: bool = True) -> CompletionRequest:
    """A request whose body is the dialect's translation of `params`.

    The translated fields ride in `extensions`, which the request adds to its body verbatim,
    and the request's own parameters stay empty, so nothing is translated twice."""
    fields = translate(validate_params({**BASE, **params}), DIALECT).fields
    return build_request("Once upon a time", "tiny", {}, stream=stream, extensions=fields)


def raw(fields: dict[str, Any]) -> CompletionRequest:
    """The neutral translated request plus `fields` exactly as given, names untranslated."""
    base = translated({})
    return build_request(base.prompt, "tiny", {}, extensions={**base.extensions, **fields})


async def run(server: LlamaServer, request: CompletionRequest) -> RunResult:
    async with CompletionClient(server.base_url) as client:
        result = await execute(client, request)
    assert result.error is None, result.error
    return result


async def text(server: LlamaServer, request: CompletionRequest) -> str:
    result = await run(server, request)
    assert result.text
    return result.text


def test_the_table_lists_exactly_the_fields_checked_here() -> None:
    assert set(IGNORED) == set(unsupported(DIALECT))
    assert not set(HONOURED) & set(IGNORED) and set(HONOURED) <= set(BY_NAME)


async def test_a_translated_request_streams(llama_server: LlamaServer) -> None:
    result = await run(llama_server, translated({"repetition_penalty": 1.2, "logprobs": 2}))
    assert result.finish_reason == "length" and result.chunks >= 2
    entries = read_all(result.logprobs)
    assert len(entries) == 12
    assert "".join(e.token for e in entries) == result.text
    assert all(e.logprob is not None and e.logprob <= 0 for e in entries)
    assert all(2 <= len(e.top) <= 3 for e in entries)  # the 2 asked for, plus the chosen one


async def test_non_streamed_logprobs_are_the_legacy_shape(llama_server: LlamaServer) -> None:
    async with CompletionClient(llama_server.base_url) as client:
        event = await client.complete(translated({"logprobs": True}, stream=False))
    assert event.logprobs is not None and "token_logprobs" in event.logprobs
    entries = read(event.logprobs)
    assert "".join(e.token for e in entries) == event.text and len(entries) == 12


async def test_seeded_texts_repeat_and_differ_by_seed(llama_server: LlamaServer) -> None:
    first = await text(llama_server, translated({}))
    assert await text(llama_server, translated({})) == first
    assert await text(llama_server, translated({"seed": 8})) != first


@pytest.mark.parametrize("name", sorted(IGNORED))
async def test_fields_the_table_calls_unsupported_are_ignored(
        llama_server: LlamaServer, name: str) -> None:
    baseline = await text(llama_server, translated({}))
    assert await text(llama_server, raw({name: IGNORED[name]})) == baseline
    assert name not in translated({name: IGNORED[name]}).extensions


@pytest.mark.parametrize("name", sorted(HONOURED))
async def test_fields_it_honours_change_the_text(llama_server: LlamaServer, name: str) -> None:
    baseline = await text(llama_server, translated({}))
    assert await text(llama_server, translated({name: HONOURED[name]})) != baseline


@pytest.mark.parametrize(("catalog", "native"), [("repetition_penalty", "repeat_penalty"),
                                                 ("mirostat_mode", "mirostat_mode")])
async def test_only_its_own_names_work(llama_server: LlamaServer, catalog: str,
                                       native: str) -> None:
    """repetition_penalty is ignored under the catalog's name; llama-server's `mirostat` is
    ignored by this server, which wants `mirostat_mode`."""
    value = HONOURED[catalog]
    baseline = await text(llama_server, translated({}))
    assert await text(llama_server, raw({native: value})) != baseline
    ignored = catalog if catalog != native else "mirostat"
    assert await text(llama_server, raw({ignored: value})) == baseline


async def test_its_defaults_are_not_neutral_so_neutral_values_are_sent(
        llama_server: LlamaServer) -> None:
    untranslated = build_request("Once upon a time", "tiny", BASE)
    server_defaults = {"temperature": 0.8, "top_p": 0.95, "top_k": 40, "min_p": 0.05,
                       "repeat_penalty": 1.1}
    by_default = await text(llama_server, untranslated)
    assert await text(llama_server, raw(server_defaults)) == by_default
    neutral = translated({})
    assert {k: neutral.extensions[k] for k in server_defaults} == {
        "temperature": 1.0, "top_p": 1.0, "top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0}
    assert await text(llama_server, neutral) != by_default
