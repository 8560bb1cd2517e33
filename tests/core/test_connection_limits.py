"""What the dialect table knows about a connection beyond names: its own limits, and which
fields Mirostat replaces there. The local engine's entries are checked against the engine."""

from __future__ import annotations

import numpy as np
import pytest

from playground.core import dialects
from playground.core.catalog import BY_NAME, CATALOG, Limits, check_within, validate_params
from playground.core.connections import BUILTIN, Connection
from playground.core.errors import InvalidParameter
from playground.engine.chain import Sampler, SamplerSettings
from playground.engine.generation import DEFAULT_MAX_TOKENS
from playground.engine.wire import MAX_OUTPUT_TOKENS

LOCAL, NANOGPT = BUILTIN
#: Every field set to a value at which its stage runs.
ACTIVE = {"top_k": 3, "top_p": 0.99, "min_p": 0.01, "top_a": 0.01, "tfs": 0.99,
          "typical_p": 0.99, "epsilon_cutoff": 0.001, "eta_cutoff": 0.001,
          "repetition_penalty": 1.2, "frequency_penalty": 0.1, "presence_penalty": 0.1,
          "temperature": 0.9, "top_n_sigma": 1.0, "xtc_probability": 1.0,
          "dry_multiplier": 0.8, "smoothing_factor": 0.5}


def test_the_local_engine_limits_are_the_engine_s_own() -> None:
    assert dialects.limits(LOCAL) == {
        "max_tokens": Limits(default=DEFAULT_MAX_TOKENS, maximum=MAX_OUTPUT_TOKENS)}
    assert dialects.limits(NANOGPT) == {}
    assert dialects.limits(Connection(name="l", dialect="llama.cpp")) == {}


def stages(**params: object) -> set[str]:
    settings = SamplerSettings.from_params(validate_params(params))
    sampler = Sampler(settings, 50, 49, [1, 2, 3], np.random.default_rng(0))
    logprobs = np.log(np.linspace(1, 2, 50) / np.linspace(1, 2, 50).sum())
    trace = sampler.sample(logprobs, trace=True).trace
    assert trace is not None
    return set(trace.stages)


def test_what_mirostat_replaces_on_the_local_engine_is_what_its_chain_skips() -> None:
    for mode in (1, 2):
        skipped = stages(**ACTIVE) - stages(**ACTIVE, mirostat_mode=mode)
        assert skipped == set(dialects.mirostat_replaces(LOCAL))
    assert {"temperature", "presence_penalty", "dry_multiplier", "smoothing_factor"} <= stages(
        **ACTIVE, mirostat_mode=2)


def test_mirostat_replacements_are_catalog_fields_of_known_servers() -> None:
    for server, names in dialects.MIROSTAT_REPLACES.items():
        assert server in (dialects.LOCAL_ENGINE, *dialects.TRANSLATED)
        assert set(names) <= set(BY_NAME) - {"mirostat_mode", "temperature"}
    assert dialects.mirostat_replaces(NANOGPT) == ()  # the routed provider decides
    assert "temperature" not in dialects.mirostat_replaces(
        Connection(name="l", dialect="llama.cpp"))


def test_limits_narrow_a_field_and_name_it_when_refused() -> None:
    spec = Limits(default=256, maximum=16_384).narrow(BY_NAME["max_tokens"])
    assert (spec.maximum, spec.soft_max, spec.allowed()) == (
        16_384, 8192, "a whole number from 1 to 16384")
    check_within(spec, 16_384)
    with pytest.raises(InvalidParameter) as refused:
        check_within(spec, 20_000)
    assert refused.value.field == "max_tokens"
    assert refused.value.message == ("max_tokens: 20000 is above this connection's maximum "
                                     "16384 (allowed: a whole number from 1 to 16384)")
    model = Limits(maximum=4096)
    assert Limits(default=256, maximum=16_384).tighter(model) == Limits(256, 4096)
    assert model.tighter(Limits()) == model


def test_choice_labels_name_every_choice() -> None:
    for spec in CATALOG:
        assert not spec.labels or len(spec.labels) == len(spec.choices), spec.name
    mirostat = BY_NAME["mirostat_mode"]
    assert [mirostat.label(v) for v in mirostat.choices] == ["off", "Mirostat 1", "Mirostat 2"]
    assert mirostat.allowed() == "one of 0, 1, 2"  # the values sent stay numbers
