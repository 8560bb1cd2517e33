"""Each stage against distributions worked out by hand."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.engine import samplers as s

INF = math.inf
P = np.log(np.array([0.5, 0.3, 0.2]))  # sorted, most probable first


def keep(stage: Callable[..., s.Kept], logits: np.ndarray, *args: object) -> list[bool]:
    """Which of `logits` truncation `stage` keeps, whether it answers with a mask or a count."""
    kept = stage(logits, *args)
    if isinstance(kept, int):
        return [i < kept for i in range(len(logits))]
    return [bool(v) for v in kept]


def test_softmax_turns_minus_infinity_into_zero() -> None:
    assert np.allclose(s.softmax(np.array([0.0, math.log(3), -INF])), [0.25, 0.75, 0])


def test_logit_bias_adds_per_token_and_leaves_the_input_alone() -> None:
    logits = np.zeros(3)
    out = s.logit_bias(logits, np.array([1, 2]), np.array([2.0, -100.0]))
    assert list(out) == [0, 2, -100]
    assert list(logits) == [0, 0, 0]


def test_ban_removes_tokens() -> None:
    assert list(s.ban(np.zeros(4), [0, 2])) == [-INF, 0, -INF, 0]


def test_repetition_penalty_divides_positive_and_multiplies_negative() -> None:
    seen = np.array([True, True, False, False])
    assert list(s.repetition_penalty(np.array([2.0, -2.0, 2.0, -2.0]), seen, 2.0)) == \
        [1, -4, 2, -2]
    assert list(s.repetition_penalty(np.array([-1.0, -2.0]), seen[:2], 1.5)) == [-1.5, -3]
    assert list(s.repetition_penalty(np.array([-1.0, -2.0]), seen[2:], 1.5)) == [-1, -2]


def test_frequency_penalty_scales_with_count() -> None:
    counts = np.array([0, 1, 3])
    assert list(s.frequency_penalty(np.zeros(3), counts, 0.5)) == [0, -0.5, -1.5]
    assert list(s.frequency_penalty(np.zeros(3), counts, -1.0)) == [0, 1, 3]


def test_presence_penalty_is_once_per_token() -> None:
    assert list(s.presence_penalty(np.zeros(3), np.array([0, 1, 3]), 0.5)) == [0, -0.5, -0.5]


def test_ngram_bans() -> None:
    tokens = [1, 2, 3, 1, 2]
    assert s.ngram_bans(tokens, 3) == {3}  # "1 2" was followed by 3
    assert s.ngram_bans(tokens, 2) == {3}  # "2" was followed by 3
    assert s.ngram_bans(tokens, 1) == {1, 2, 3}
    assert s.ngram_bans(tokens, 4) == set()
    assert s.ngram_bans(tokens, 0) == set()


@given(st.lists(st.integers(0, 3), max_size=30), st.integers(1, 4))
def test_incremental_ngram_index_agrees_with_definition(tokens: list[int], size: int) -> None:
    index = s.SeenNgrams(size)
    for i, token in enumerate(tokens):
        index.extend([token])
        assert index.banned() == s.ngram_bans(tokens[:i + 1], size)


def test_top_k_keeps_k_best_and_ties() -> None:
    assert keep(s.top_k, np.array([3.0, 1, 2, 0]), 2) == [True, False, True, False]
    assert keep(s.top_k, np.array([1.0, 1, 1, 0]), 2) == [True, True, True, False]
    assert keep(s.top_k, np.array([1.0, 0]), 0) == [True, True]


def test_tfs_cuts_where_the_curve_flattens() -> None:
    logits = np.log(np.array([0.5, 0.25, 0.15, 0.1]))
    # |second differences| = 0.15, 0.05 -> normalized running sum 0.75, 1.0
    assert keep(s.tfs, logits, 0.8) == [True, True, False, False]
    assert keep(s.tfs, logits, 0.7) == [True, False, False, False]
    assert keep(s.tfs, logits, 1.0) == [True] * 4
    linear = np.log(np.array([0.4, 0.3, 0.2, 0.1]))
    assert keep(s.tfs, linear, 0.5) == [True] * 4


def test_typical_p_prefers_surprise_near_the_entropy() -> None:
    # entropy 1.0297 nats; surprises 0.693, 1.204, 1.609 -> distances 0.337, 0.174, 0.580
    assert keep(s.typical_p, P, 0.5) == [True, True, False]
    assert keep(s.typical_p, P, 0.2) == [False, True, False]  # it may drop the top token
    assert keep(s.typical_p, P, 1.0) == [True, True, True]


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    assert keep(s.top_p, P, 0.6) == [True, True, False]
    assert keep(s.top_p, P, 0.4) == [True, False, False]
    assert keep(s.top_p, P, 0.85) == [True, True, True]
    assert keep(s.top_p, P, 0.0) == [True, False, False]


def test_min_p_is_relative_to_the_top() -> None:
    assert keep(s.min_p, P, 0.5) == [True, True, False]  # floor 0.25
    assert keep(s.min_p, P, 0.65) == [True, False, False]  # floor 0.325
    assert keep(s.min_p, P, 0.0) == [True, True, True]


def test_top_a_uses_the_square_of_the_top() -> None:
    assert keep(s.top_a, P, 1.0) == [True, True, False]  # floor 0.25
    assert keep(s.top_a, P, 0.5) == [True, True, True]  # floor 0.125


def test_epsilon_cutoff_is_absolute_and_keeps_the_top() -> None:
    assert keep(s.epsilon_cutoff, P, 0.25) == [True, True, False]
    assert keep(s.epsilon_cutoff, P, 0.9) == [True, False, False]


def test_eta_cutoff_adapts_to_entropy() -> None:
    # entropy 1.0297 nats, exp(-H) = 0.3571
    assert keep(s.eta_cutoff, P, 0.1) == [True, True, True]  # min(0.1, 0.113) = 0.1
    assert keep(s.eta_cutoff, P, 0.3) == [True, True, True]  # min(0.3, 0.196) = 0.196
    assert keep(s.eta_cutoff, P, 0.5) == [True, True, False]  # min(0.5, 0.2525)
    peaked = np.log(np.array([0.97, 0.02, 0.01]))  # low entropy: the floor rises to eta
    assert keep(s.eta_cutoff, peaked, 0.015) == [True, True, False]


def test_temperature_reshapes() -> None:
    logits = np.array([0.0, math.log(2)])
    assert np.allclose(s.softmax(s.temperature(logits, 0.5)), [0.2, 0.8])
    assert np.allclose(s.softmax(s.temperature(logits, 2.0)),
                       [1 / (1 + math.sqrt(2)), math.sqrt(2) / (1 + math.sqrt(2))])
    assert list(s.softmax(s.temperature(logits, 0))) == [0, 1]
    assert s.temperature(logits, 1) is logits


def test_mirostat_v2_drops_surprise_above_mu() -> None:
    # surprises 1, 1.74, 2.32 bits
    assert keep(s.mirostat_v2, P, 2.0) == [True, True, False]
    assert keep(s.mirostat_v2, P, 0.5) == [True, False, False]


def test_mirostat_v1_keeps_k_from_the_zipf_estimate() -> None:
    exponent, vocab, mu = 1.5, 1000, 6.0
    ranks = np.arange(1, 201)
    logits = -exponent * np.log(ranks)  # exactly Zipfian: the estimate is the exponent
    k = ((exponent - 1) * 2**mu / (1 - vocab ** (1 - exponent))) ** (1 / exponent)
    assert int(k) == 10
    assert keep(s.mirostat_v1, logits, mu, vocab) == [True] * 10 + [False] * 190


def test_mirostat_v1_survives_a_flat_head() -> None:
    assert keep(s.mirostat_v1, np.zeros(5), 3.0, 100) == [True] * 5


def test_mirostat_update_moves_mu_towards_the_target() -> None:
    assert s.mirostat_update(10.0, 0.25, 3.0, 0.1) == pytest.approx(10.1)  # 2 bits < tau
    assert s.mirostat_update(10.0, 0.125, 2.0, 0.5) == pytest.approx(9.5)  # 3 bits > tau


# --- the newer samplers (issue 20), against hand-worked distributions ------------------------

A, B, C, Y, NL = 0, 1, 2, 3, 4  # token ids; NL is a breaker
BREAKS = np.array([False, False, False, False, True])
NONE = np.zeros(5, dtype=bool)


def dry(history: np.ndarray, breaks: np.ndarray, *args: float) -> np.ndarray:
    """DRY over single-token breakers: a position is marked where its token is one."""
    return s.dry(np.zeros(5), history, breaks[history], breaks, *args)


def test_dry_penalises_the_tokens_that_would_extend_a_repeat() -> None:
    """llama.cpp's own example: after ``a b c c b c y a b c``, emitting c would extend the
    repeat ``a b c`` (length 3), y the repeat ``b c`` (2), b the repeat ``c`` (1)."""
    history = np.array([A, B, C, C, B, C, Y, A, B, C])
    out = dry(history, BREAKS, 1.0, 2.0, 2)  # multiplier, base, allowed length
    assert list(out) == [0, 0, -2.0, -1.0, 0]  # c: 1·2^(3-2); y: 1·2^(2-2); b: under 2
    out = dry(history, BREAKS, 0.5, 3.0, 1)
    assert list(out) == [0, -0.5, -4.5, -1.5, 0]  # b: 0.5·3^0, c: 0.5·3^2, y: 0.5·3^1


def test_dry_repeats_never_run_across_a_breaker() -> None:
    # "\n a b" came before y; now the text ends in "\n a b": a repeat of 3 tokens, but the
    # match stops at the breaker, so y is penalised for a repeat of 2.
    history = np.array([NL, A, B, Y, C, NL, A, B])
    assert list(dry(history, BREAKS, 1.0, 2.0, 2)) == [0, 0, 0, -1.0, 0]
    assert list(dry(history, NONE, 1.0, 2.0, 2)) == [
        0, 0, 0, -2.0, 0]  # without breakers the repeat is 3 long
    # A breaker is never penalised, although "a b c" was once followed by one:
    again = np.array([A, B, C, NL, A, B, C])
    assert not dry(again, BREAKS, 1.0, 2.0, 2).any()
    assert list(dry(again, NONE, 1.0, 2.0, 2)) == [
        0, 0, 0, 0, -2.0]
    ended = np.array([A, B, C, A, B, NL])  # the text ends with a breaker: nothing to extend
    assert not dry(ended, BREAKS, 1.0, 2.0, 1).any()
    assert not dry(np.array([A, B]), BREAKS, 1.0, 2.0, 2).any()  # too short


def test_dry_grows_without_overflowing() -> None:
    history = np.array([A, B] * 300)
    out = dry(history, NONE, 1.0, 1.75, 2)
    assert np.isfinite(out).all() and out[A] < -1e30


def test_top_n_sigma_keeps_logits_within_n_deviations_of_the_top() -> None:
    logits = np.array([0.0, -1.0, -2.0, -10.0, -INF])
    sigma = np.array([0.0, -1.0, -2.0, -10.0]).std()  # population, finite logits only
    assert sigma == pytest.approx(math.sqrt(62.75 / 4))  # mean -3.25
    out = s.top_n_sigma(logits, 0.5)  # cut-off at -1.98
    assert list(np.isfinite(out)) == [True, True, False, False, False]
    assert list(np.isfinite(s.top_n_sigma(logits, 3.0))) == [True, True, True, True, False]
    single = np.array([1.0, -INF])
    assert s.top_n_sigma(single, 0.1) is single  # nothing to measure a spread on


def test_xtc_removes_the_top_choices_but_the_least_of_them() -> None:
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    assert keep(s.xtc, logits, 0.2) == [False, True, True, True]  # 0.5 goes, 0.3 stays
    assert keep(s.xtc, logits, 0.1) == [False, False, True, True]  # 0.5 and 0.3 go
    assert keep(s.xtc, logits, 0.4) == [True, True, True, True]  # only one above: none go
    assert keep(s.xtc, np.log(np.array([0.05, 0.5, 0.3, 0.15])), 0.2) == [True, False, True,
                                                                            True]


def test_smoothing_is_a_quadratic_around_the_top_and_a_cubic_with_a_curve() -> None:
    logits = np.array([0.0, -1.0, -2.0])
    assert list(s.smoothing(logits, 1.0, 1.0)) == [0.0, -1.0, -4.0]  # h - f·d²
    assert list(s.smoothing(logits + 5, 0.5, 1.0)) == [5.0, 4.5, 3.0]
    # curve 2: k = 0.5, s = 0.5: -0.5·f·d² + 0.5·f·d³
    assert list(s.smoothing(logits, 1.0, 2.0)) == [0.0, -1.0, -6.0]


def test_dynamic_temperature_follows_the_normalised_entropy() -> None:
    flat = np.zeros(4)  # entropy log 4 of at most log 4: the top of the range
    assert s.dynamic_temperature(flat, 1.0, 0.5, 1.0) == pytest.approx(1.5)
    peaked = np.array([0.0, -50.0, -50.0, -50.0])  # nearly certain: the bottom
    assert s.dynamic_temperature(peaked, 1.0, 0.5, 1.0) == pytest.approx(0.5)
    half = np.log(np.array([0.5, 0.5, 1e-300, 1e-300]))  # entropy log 2 of log 4
    assert s.dynamic_temperature(half, 1.0, 0.5, 1.0) == pytest.approx(1.0)
    assert s.dynamic_temperature(half, 1.0, 0.5, 2.0) == pytest.approx(0.75)  # 0.5 + 1·0.25
    assert s.dynamic_temperature(flat, 0.2, 0.5, 1.0) == pytest.approx(0.7)  # low clamps at 0
    assert s.dynamic_temperature(np.array([0.0]), 1.0, 0.5, 1.0) == pytest.approx(0.5)


def test_seen_ngrams_taken_back_are_as_if_never_seen() -> None:
    rng = np.random.default_rng(4)
    tokens = rng.integers(0, 4, 300).tolist()
    for size in (1, 2, 3):
        grown = s.SeenNgrams(size, tokens)
        for length in (299, 250, 3, 0):
            grown.cut(length)
            fresh = s.SeenNgrams(size, tokens[:length])
            assert grown.banned() == fresh.banned() == s.ngram_bans(tokens[:length], size)
            grown.extend(tokens[length:length + 7])
            grown.cut(length)
            assert grown.banned() == fresh.banned()
