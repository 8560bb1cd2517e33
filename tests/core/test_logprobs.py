"""Logprobs in the legacy and the chat shape read into one list."""

from __future__ import annotations

import math

import pytest

from playground.core.logprobs import Alternative, TokenLogprob, read, read_all

LEGACY = {"tokens": ["Hel", "lo"], "token_logprobs": [-0.5, -1.25],
          "top_logprobs": [{"Hel": -0.5, "Hi": -1.0}, {"x": -3.0, "lo": -1.25}],
          "text_offset": [0, 3]}
CHAT = {"content": [
    {"token": "Hel", "logprob": -0.5, "bytes": [72, 101, 108],
     "top_logprobs": [{"token": "Hi", "logprob": -1.0}, {"token": "Hel", "logprob": -0.5}]},
    {"token": "lo", "logprob": -1.25,
     "top_logprobs": [{"token": "lo", "logprob": -1.25}, {"token": "x", "logprob": -3.0}]}]}
EXPECTED = [
    TokenLogprob("Hel", -0.5, (Alternative("Hel", -0.5), Alternative("Hi", -1.0))),
    TokenLogprob("lo", -1.25, (Alternative("lo", -1.25), Alternative("x", -3.0))),
]


def test_both_shapes_read_the_same() -> None:
    legacy = read(LEGACY)
    assert [(e.token, e.logprob, e.top) for e in legacy] == \
        [(e.token, e.logprob, e.top) for e in EXPECTED]
    assert [e.offset for e in legacy] == [0, 3]
    assert read(CHAT) == EXPECTED
    assert read(CHAT["content"]) == EXPECTED  # a bare content list


def test_alternatives_come_most_likely_first() -> None:
    entry = read({"content": [{"token": "a", "logprob": -2.0, "top_logprobs": [
        {"token": "c", "logprob": -4.0}, {"token": "b", "logprob": -0.1},
        {"token": "a", "logprob": -2.0}]}]})[0]
    assert [alt.token for alt in entry.top] == ["b", "a", "c"]


def test_prob_is_the_exponent() -> None:
    assert read(LEGACY)[0].prob == pytest.approx(math.exp(-0.5))
    assert TokenLogprob("x", None).prob is None


def test_a_stream_is_read_chunk_by_chunk() -> None:
    chunks = [{"tokens": ["a"], "token_logprobs": [-1.0], "top_logprobs": [None]},
              {"content": [{"token": "b", "logprob": -2.0}]}, None]
    assert read_all(chunks) == [TokenLogprob("a", -1.0), TokenLogprob("b", -2.0)]


def test_missing_and_mistyped_pieces_are_unknown_not_errors() -> None:
    ragged = read({"tokens": ["a", "b", 7], "token_logprobs": [None, -1.0],
                   "top_logprobs": [None, {"b": -1.0, "bad": "x"}, []], "text_offset": "no"})
    assert ragged == [TokenLogprob("a", None), TokenLogprob("b", -1.0, (Alternative("b", -1.0),)),
                      TokenLogprob("", None)]
    assert read({"content": [{"logprob": True}, "junk", {"token": "t"}]}) == \
        [TokenLogprob("", None), TokenLogprob("t", None)]
    for nothing in (None, 3, "text", {}, [], {"content": []}, {"content": None}):
        assert read(nothing) == []


def test_probabilities_instead_of_logprobs_are_converted() -> None:
    # llama-server with post_sampling_probs; older builds said "probs" and "tok_str".
    post = read([{"token": "a", "prob": 0.5, "top_probs": [{"token": "a", "prob": 0.5},
                                                           {"token": "z", "prob": 0}]}])
    assert post[0].logprob == pytest.approx(math.log(0.5))
    assert post[0].top == (Alternative("a", math.log(0.5)), Alternative("z", -math.inf))
    old = read([{"tok_str": "b", "prob": 1.0, "probs": [{"tok_str": "b", "prob": 1.0}]}])
    assert old == [TokenLogprob("b", 0.0, (Alternative("b", 0.0),))]


def test_when_a_server_sends_both_shapes_the_chat_shape_wins() -> None:
    # koboldcpp fills in both; they agree, and the chat one carries the alternatives as a list.
    both = {**LEGACY, **CHAT}
    assert read(both) == EXPECTED
