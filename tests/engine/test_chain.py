"""The chain: defaults, order, state, and that each stage changes only what it says."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any

import numpy as np
import pytest

from playground.core.catalog import BY_NAME, validate_params
from playground.engine.chain import NoCandidates, Sampler, SamplerSettings
from playground.engine.text_model import TextModel

EOT = 5
# token:        0     1     2     3     4     5 (end of text)
PROBS = np.array([0.30, 0.25, 0.20, 0.12, 0.08, 0.05])
LOGPROBS = np.log(PROBS)


def sampler(seed: int = 0, prompt: tuple[int, ...] = (), **params: Any) -> Sampler:
    settings = SamplerSettings.from_params(validate_params(params))
    return Sampler(settings, len(PROBS), EOT, list(prompt), np.random.default_rng(seed))


def picks(chain: Sampler, n: int, logprobs: np.ndarray = LOGPROBS) -> list[int]:
    return [chain.sample(logprobs).token for _ in range(n)]


def test_unset_parameters_take_their_neutral_values() -> None:
    settings = SamplerSettings.from_params(validate_params({}))
    assert settings == SamplerSettings()
    for f in fields(SamplerSettings):
        spec = BY_NAME[f.name]
        expected = spec.neutral if spec.neutral is not None else spec.hint
        if isinstance(expected, list):  # the DRY breakers, kept as a tuple
            expected = tuple(expected)
        if expected is not None:
            assert getattr(settings, f.name) == expected, f.name
    assert (settings.mirostat_tau, settings.mirostat_eta) == (5.0, 0.1)


def test_no_parameters_samples_the_model_distribution() -> None:
    counts = np.bincount(picks(sampler(seed=1), 20_000), minlength=len(PROBS))
    assert np.allclose(counts / 20_000, PROBS, atol=0.015)


def test_temperature_zero_is_greedy_whatever_the_seed() -> None:
    for seed in range(5):
        assert picks(sampler(seed, temperature=0), 10) == [0] * 10


def test_top_k_one_is_greedy() -> None:
    assert picks(sampler(3, top_k=1), 10) == [0] * 10


def test_seed_repeats_and_differs() -> None:
    assert picks(sampler(7), 50) == picks(sampler(7), 50)
    assert picks(sampler(7), 50) != picks(sampler(8), 50)


def test_custom_token_bans_never_appear() -> None:
    assert 0 not in picks(sampler(1, custom_token_bans=[0]), 300)


def test_logit_bias_forces_and_suppresses() -> None:
    assert set(picks(sampler(1, logit_bias={"4": 100}), 50)) == {4}
    assert picks(sampler(1, temperature=0, logit_bias={"0": -100}), 3) == [1, 1, 1]


def test_min_tokens_then_end_of_text() -> None:
    chain = sampler(1, temperature=0, min_tokens=3, stop_token_ids=[4],
                    logit_bias={"5": 50, "4": 49})
    first = picks(chain, 3)
    assert EOT not in first and 4 not in first
    assert first == [0, 0, 0]
    assert picks(chain, 1) == [EOT]


def test_ignore_eos_bans_end_of_text_for_good() -> None:
    chain = sampler(1, temperature=0, ignore_eos=True, logit_bias={"5": 50})
    assert picks(chain, 5) == [0] * 5


def test_repetition_penalty_counts_prompt_tokens() -> None:
    close = np.log(np.array([0.30, 0.29, 0.2, 0.1, 0.06, 0.05]))
    assert picks(sampler(0, temperature=0), 1, close) == [0]
    assert picks(sampler(0, prompt=(0,), temperature=0, repetition_penalty=1.2), 1, close) == [1]


def test_frequency_and_presence_penalties_count_generated_tokens_only() -> None:
    close = np.log(np.array([0.30, 0.29, 0.2, 0.1, 0.06, 0.05]))
    # the prompt's token 0 does not count ...
    assert picks(sampler(0, prompt=(0,), temperature=0, frequency_penalty=1), 1, close) == [0]
    # ... but once generated it is pushed down, by 1 per occurrence
    chain = sampler(0, temperature=0, frequency_penalty=1)
    assert picks(chain, 2, close) == [0, 1]
    chain = sampler(0, temperature=0, presence_penalty=0.5)
    assert picks(chain, 3, close) == [0, 1, 2]


def test_no_repeat_ngram_size_blocks_repeats() -> None:
    chain = sampler(0, prompt=(0, 1, 0), temperature=0, no_repeat_ngram_size=2)
    # after "0": "0 1" exists, so 1 is blocked; "0 0" is new, then blocked too
    assert picks(chain, 2) == [0, 2]


def test_everything_banned_raises() -> None:
    with pytest.raises(NoCandidates):
        sampler(custom_token_bans=list(range(6))).sample(LOGPROBS)


def test_mirostat_updates_mu_from_the_chosen_surprise() -> None:
    chain = sampler(2, mirostat_mode=2, mirostat_tau=3.0, mirostat_eta=0.5)
    assert chain.mu == 6.0
    pick = chain.sample(LOGPROBS, trace=True)
    assert pick.trace is not None and pick.trace.mu == 6.0
    final = pick.trace.probs[-1][pick.token]
    assert chain.mu == pytest.approx(6.0 - 0.5 * (-math.log2(final) - 3.0))


def test_trace_lists_active_stages_in_documented_order() -> None:
    everything = {"temperature": 0.9, "top_k": 5, "tfs": 0.99, "typical_p": 0.99,
                  "top_p": 0.99, "min_p": 0.01, "top_a": 0.01, "epsilon_cutoff": 0.001,
                  "eta_cutoff": 0.001, "repetition_penalty": 1.1, "frequency_penalty": 0.1,
                  "presence_penalty": 0.1, "no_repeat_ngram_size": 3, "min_tokens": 1,
                  "ignore_eos": True, "logit_bias": {"1": 0.5}, "custom_token_bans": [3]}
    pick = sampler(0, **everything).sample(LOGPROBS, trace=True)
    assert pick.trace is not None
    assert pick.trace.stages == (
        "model", "logit_bias", "custom_token_bans", "min_tokens", "ignore_eos",
        "repetition_penalty", "frequency_penalty", "presence_penalty", "no_repeat_ngram_size",
        "top_k", "tfs", "typical_p", "top_p", "min_p", "top_a", "epsilon_cutoff", "eta_cutoff",
        "temperature")
    mirostat = sampler(0, **everything, mirostat_mode=1).sample(LOGPROBS, trace=True).trace
    assert mirostat is not None
    assert mirostat.stages[-2:] == ("mirostat_mode", "temperature")
    assert "top_k" not in mirostat.stages and "top_p" not in mirostat.stages


def test_the_newer_stages_take_their_documented_places() -> None:
    newer = {"dry_multiplier": 0.8, "top_n_sigma": 2.0, "top_k": 5, "min_p": 0.01,
             "xtc_probability": 1.0, "xtc_threshold": 0.1, "smoothing_factor": 0.3,
             "dynatemp_range": 0.5, "presence_penalty": 0.1, "ignore_eos": True}
    trace = sampler(0, prompt=(1, 2, 1), **newer).sample(LOGPROBS, trace=True).trace
    assert trace is not None
    assert trace.stages == ("model", "ignore_eos", "presence_penalty", "dry_multiplier",
                            "top_n_sigma", "top_k", "min_p", "xtc_probability",
                            "smoothing_factor", "dynatemp_range")
    mirostat = sampler(0, **newer, mirostat_mode=2).sample(LOGPROBS, trace=True).trace
    assert mirostat is not None and "top_n_sigma" not in mirostat.stages
    assert "xtc_probability" not in mirostat.stages and "dry_multiplier" in mirostat.stages


def final_support(**params: Any) -> list[int]:
    trace = sampler(0, **params).sample(LOGPROBS, trace=True).trace
    assert trace is not None
    return [int(i) for i in np.flatnonzero(trace.probs[-1])]


def test_sampler_order_decides_what_temperature_does_to_a_cut() -> None:
    """At temperature 2 the probabilities go as their square roots. min_p 0.5 first keeps
    p >= 0.15 (tokens 0-2); temperature first keeps sqrt(p / 0.30) >= 0.5, i.e. p >= 0.075
    (tokens 0-4)."""
    both = {"temperature": 2.0, "min_p": 0.5}
    assert final_support(**both) == [0, 1, 2]
    assert final_support(**both, sampler_order=["temperature", "min_p"]) == [0, 1, 2, 3, 4]
    trace = sampler(0, **both, sampler_order=["temperature"]).sample(LOGPROBS, trace=True).trace
    assert trace is not None and trace.stages == ("model", "temperature", "min_p")


def test_stages_left_out_of_the_order_run_after_it_in_the_default_order() -> None:
    trace = sampler(0, top_k=4, min_p=0.1, temperature=0.5, repetition_penalty=1.3,
                    prompt=(2,), sampler_order=["min_p", "temperature"]).sample(
        LOGPROBS, trace=True).trace
    assert trace is not None
    assert trace.stages == ("model", "min_p", "temperature", "repetition_penalty", "top_k")


def test_a_penalty_after_a_cut_reshapes_only_the_survivors() -> None:
    """top_k 3 keeps tokens 0-2; a repetition penalty of 2 on token 0 afterwards doubles its
    log probability (0.30 becomes 0.09) but keeps it among them. Penalised first, 0.09 falls
    below token 3's 0.12 and top_k keeps tokens 1-3."""
    trace = sampler(0, top_k=3, repetition_penalty=2.0, prompt=(0,),
                    sampler_order=["top_k", "repetition_penalty"]).sample(
        LOGPROBS, trace=True).trace
    assert trace is not None and trace.stages[-1] == "repetition_penalty"
    kept = np.array([0.30**2, 0.25, 0.20])
    assert np.allclose(trace.probs[-1][:3], kept / kept.sum())
    assert not trace.probs[-1][3:].any()
    first = final_support(top_k=3, repetition_penalty=2.0, prompt=(0,))
    assert first == [1, 2, 3]


def test_xtc_turns_the_most_probable_candidates_away_as_often_as_asked() -> None:
    """0.30 and 0.25 reach 0.21: when XTC fires, only 0.25 of them stays, so token 0 is never
    drawn; at probability 0.5 it fires about half the time."""
    always = picks(sampler(3, xtc_probability=1.0, xtc_threshold=0.21), 2000)
    assert 0 not in always and always.count(1) > 0
    half = picks(sampler(3, xtc_probability=0.5, xtc_threshold=0.21), 4000)
    assert 0.5 * 0.30 * 4000 * 0.8 < half.count(0) < 0.5 * 0.30 * 4000 * 1.2
    assert picks(sampler(9, xtc_probability=0.5), 50) == picks(sampler(9, xtc_probability=0.5),
                                                              50)  # seeded, roll included


def test_dry_through_the_chain_counts_the_prompt_and_what_it_generated() -> None:
    settings = SamplerSettings.from_params(validate_params({"dry_multiplier": 5.0,
                                                            "dry_allowed_length": 1}))
    chain = Sampler(settings, len(PROBS), EOT, [0, 1, 2, 0], np.random.default_rng(0))
    pick = chain.sample(LOGPROBS, trace=True)  # "0" came before "1" once: 1 is penalised
    assert pick.trace is not None
    before, after = pick.trace.probs[0], pick.trace.probs[1]
    assert after[1] == pytest.approx(before[1] * math.exp(-5.0) / (
        1 - before[1] + before[1] * math.exp(-5.0)))
    assert chain.history == [0, 1, 2, 0, pick.token]


TRUNCATION_RULES = {
    # stage: (params, rule(previous probs, survivor mask, mirostat mu) that must hold)
    "top_k": ({"top_k": 7},
              lambda p, kept, mu: kept.sum() >= 7 and p[kept].min() >= np.sort(p)[-7]),
    "top_p": ({"top_p": 0.6}, lambda p, kept, mu: p[kept].sum() >= 0.6 - 1e-9
              and p[kept].sum() - p[kept].min() < 0.6),
    "min_p": ({"min_p": 0.1}, lambda p, kept, mu: p[kept].min() >= 0.1 * p.max() - 1e-12
              and (p[~kept] < 0.1 * p.max()).all()),
    "top_a": ({"top_a": 0.5}, lambda p, kept, mu: (p[~kept] < 0.5 * p.max() ** 2).all()
              and (p[kept] >= 0.5 * p.max() ** 2 - 1e-12).all()),
    "epsilon_cutoff": ({"epsilon_cutoff": 0.01},
                       lambda p, kept, mu: (p[~kept] < 0.01).all()
                       and (p[kept] >= 0.01 - 1e-12).all()),
    "eta_cutoff": ({"eta_cutoff": 0.02}, lambda p, kept, mu: (p[~kept] < 0.02).all()),
    "typical_p": ({"typical_p": 0.5}, lambda p, kept, mu: p[kept].sum() >= 0.5 - 1e-9
                  or kept.sum() == 1),
    "tfs": ({"tfs": 0.9}, lambda p, kept, mu: kept.sum() < (p > 0).sum()),
    "mirostat_mode": ({"mirostat_mode": 2, "mirostat_tau": 3.0},
                      lambda p, kept, mu: (p[kept] >= 2.0 ** -mu - 1e-12).all()
                      or kept.sum() == 1),
}


@pytest.mark.parametrize("stage", list(TRUNCATION_RULES))
def test_each_truncation_stage_only_removes_and_renormalizes(
        model: TextModel, stage: str) -> None:
    """On the real model: a truncation stage obeys its rule, removes at least one token, and
    leaves the survivors' relative probabilities exactly as they were."""
    params, rule = TRUNCATION_RULES[stage]
    tokenizer = model.tokenizer
    prompt = tokenizer.encode("The function returns the")
    chain = Sampler(SamplerSettings.from_params(validate_params(params)), tokenizer.vocab_size,
                    tokenizer.eot_id, prompt, np.random.default_rng(0))
    context = list(prompt)
    for _ in range(5):
        with np.errstate(divide="ignore"):  # a real model's control tokens have p = 0
            pick = chain.sample(np.log(model.next_probs(context)), trace=True)
        assert pick.trace is not None
        index = pick.trace.stages.index(stage)
        before, after = pick.trace.probs[index - 1], pick.trace.probs[index]
        kept = after > 0
        assert rule(before, kept, pick.trace.mu), stage
        assert 0 < kept.sum() < (before > 0).sum()
        assert np.allclose(after[kept], before[kept] / before[kept].sum())
        assert kept[pick.token]
        context.append(pick.token)


def test_temperature_only_reshapes(model: TextModel) -> None:
    tokenizer = model.tokenizer
    prompt = tokenizer.encode("The function returns the")
    chain = Sampler(SamplerSettings(temperature=0.5), tokenizer.vocab_size, tokenizer.eot_id,
                    prompt, np.random.default_rng(0))
    with np.errstate(divide="ignore"):
        pick = chain.sample(np.log(model.next_probs(prompt)), trace=True)
    assert pick.trace is not None
    before, after = pick.trace.probs
    assert ((after > 0) == (before > 0)).all()  # every token (a real model's control tokens
    assert (after > 0).sum() > 1000  # have none to begin with)
    assert np.allclose(after, before**2 / (before**2).sum())
