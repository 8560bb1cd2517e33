from __future__ import annotations

import pytest

from playground.core.client import CompletionClient
from playground.core.compare import (
    SummaryRow,
    Variant,
    check_count,
    distinct_n,
    parse_variant,
    run_all,
    seeds,
    settings_diff,
    split_top_level,
    sweep,
)
from playground.core.errors import InvalidParameter
from playground.core.request import build_request

PRESETS = {"Creative": {"temperature": 1.1, "min_p": 0.05}}


def test_split_keeps_json_values_whole() -> None:
    assert split_top_level('temperature=0.2, stop=["a,b", "c"],logit_bias={"1":-1,"2":3}') == [
        "temperature=0.2", 'stop=["a,b", "c"]', 'logit_bias={"1":-1,"2":3}']
    assert split_top_level('stop="x,y",top_k=4') == ['stop="x,y"', "top_k=4"]


def test_parse_variants() -> None:
    assert parse_variant("temperature=0.2,top_k=40").params == {"temperature": 0.2, "top_k": 40}
    creative = parse_variant("preset=Creative,temperature=0.9", PRESETS.__getitem__)
    assert creative.preset == "Creative"
    assert creative.params == {"temperature": 0.9, "min_p": 0.05}
    assert parse_variant("model=a/b:fast,seed=3").model == "a/b:fast"
    with pytest.raises(InvalidParameter, match="temperature: 3 is above the maximum 2"):
        parse_variant("temperature=3")
    with pytest.raises(InvalidParameter, match="presets are not available"):
        parse_variant("preset=Creative")


def test_sweeps_and_seeds() -> None:
    base = Variant("base", {"top_k": 40})
    swept = sweep(base, "temperature", "0.2,0.7,1.2")
    assert [v.label for v in swept] == ["temperature=0.2", "temperature=0.7", "temperature=1.2"]
    assert swept[1].merged({"min_p": 0.1}) == {"min_p": 0.1, "top_k": 40, "temperature": 0.7}
    with pytest.raises(InvalidParameter, match="temperature: 5 is above"):
        sweep(base, "temperature", "0.2,5")
    assert [v.params["seed"] for v in seeds(base, 3)] == [1, 2, 3]
    check_count(swept)
    with pytest.raises(InvalidParameter, match="2 to 8 columns, not 1"):
        check_count(swept[:1])
    with pytest.raises(InvalidParameter, match="not 9"):
        check_count(seeds(base, 9))


def test_merged_overrides_can_unset() -> None:
    assert Variant("v", {"top_k": None}).merged({"top_k": 5, "seed": 1}) == {"seed": 1}


def test_distinct_n_and_diff() -> None:
    assert distinct_n("a b a b a b", 2) == 2 / 5
    assert distinct_n("one", 2) is None
    assert settings_diff({"temperature": 0.2, "seed": 1}, {"temperature": 0.7, "seed": 1,
                                                          "top_k": 4}) == {
        "temperature": (0.2, 0.7), "top_k": (None, 4)}


async def test_run_all_is_concurrent_and_keeps_each_result(fault_server) -> None:
    async with CompletionClient(fault_server.url("ok")) as ok, \
            CompletionClient(fault_server.url("e402")) as broke:
        results = await run_all([(ok, build_request("p", "m", {"seed": 1})),
                                 (broke, build_request("p", "m", {})),
                                 (ok, build_request("p", "m", {"seed": 2}))])
    assert [r.text for r in results] == ["Hello, world!", "", "Hello, world!"]
    assert results[1].error.status == 402
    rows = [SummaryRow.of(f"v{i}", r) for i, r in enumerate(results)]
    assert rows[0].tokens == 5
    assert rows[0].finish_reason == "stop"
    assert rows[1].error == "HTTP 402: Insufficient balance"


def test_variants_take_the_newer_samplers_and_lists_with_commas() -> None:
    variant = parse_variant('sampler_order=["temperature","min_p"],banned_strings=["a, b"],'
                            'dry_multiplier=0.8')
    assert variant.params == {"sampler_order": ["temperature", "min_p"],
                              "banned_strings": ["a, b"], "dry_multiplier": 0.8}
    assert [v.params for v in sweep(Variant("base", {}), "xtc_probability", "0,0.5")] == [
        {"xtc_probability": 0}, {"xtc_probability": 0.5}]
