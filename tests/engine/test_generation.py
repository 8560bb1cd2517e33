from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from playground.core.catalog import validate_params
from playground.engine.chain import SamplerSettings
from playground.engine.generation import DEFAULT_MAX_TOKENS, Generation, GenerationRequest, Step
from playground.engine.model import LanguageModel

PROMPT = "The function returns the"


def run(model: LanguageModel, prompt: str = PROMPT, *, max_tokens: int = 40,
        stops: tuple[str, ...] = (), include_stop: bool = False, logprobs: int | None = None,
        seed: int | None = 1, **params: Any) -> list[Step]:
    request = GenerationRequest(prompt=prompt, max_tokens=max_tokens, stops=stops,
                                include_stop=include_stop, logprobs=logprobs, seed=seed,
                                settings=SamplerSettings.from_params(validate_params(params)))
    return list(Generation(model, request).steps())


def text(steps: list[Step]) -> str:
    return "".join(step.text for step in steps)


def test_max_tokens_ends_with_length(model: LanguageModel) -> None:
    steps = run(model, max_tokens=7, ignore_eos=True)
    assert len(steps) == 7
    assert [s.finish_reason for s in steps] == [None] * 6 + ["length"]
    assert DEFAULT_MAX_TOKENS == 256


def test_seed_repeats_the_text_and_no_seed_varies(model: LanguageModel) -> None:
    assert text(run(model, seed=5)) == text(run(model, seed=5))
    assert len({text(run(model, seed=None, ignore_eos=True)) for _ in range(4)}) > 1


def test_temperature_zero_follows_the_model_argmax(model: LanguageModel) -> None:
    steps = run(model, temperature=0, max_tokens=12, seed=None)
    context = model.tokenizer.encode(PROMPT)
    for step in steps:
        assert step.token == int(np.argmax(model.next_probs(context)))
        context.append(step.token)


def test_end_of_text_finishes_with_stop_and_no_text(model: LanguageModel) -> None:
    steps = run(model, logit_bias={str(model.tokenizer.eot_id): 100})
    assert len(steps) == 1 and steps[0].finish_reason == "stop" and steps[0].text == ""


def test_stop_token_ids_end_generation(model: LanguageModel) -> None:
    token = model.tokenizer.encode(" the")[0]
    forced = {"logit_bias": {str(token): 100}, "stop_token_ids": [token]}
    assert [(s.text, s.finish_reason) for s in run(model, **forced)] == [("", "stop")]
    kept = run(model, include_stop=True, **forced)
    assert [(s.text, s.finish_reason) for s in kept] == [(" the", "stop")]


def test_stop_string_across_token_boundaries(model: LanguageModel) -> None:
    free = run(model, temperature=0, max_tokens=30, ignore_eos=True)
    pieces = [s.text for s in free]
    full = text(free)
    # a stop made of the last char of one token and the first two of the next
    spans = [(len("".join(pieces[:i])), i) for i in range(1, len(pieces))
             if pieces[i - 1] and len(pieces[i]) >= 2]
    boundary, _ = next((b, i) for b, i in spans
                       if full.index(full[b - 1:b + 2]) == b - 1)
    stop = full[boundary - 1:boundary + 2]
    start = boundary - 1
    stopped = run(model, temperature=0, max_tokens=30, ignore_eos=True, stops=(stop,))
    assert text(stopped) == full[:start]
    assert stopped[-1].finish_reason == "stop"
    included = run(model, temperature=0, max_tokens=30, ignore_eos=True, stops=(stop,),
                   include_stop=True)
    assert text(included) == full[:start + len(stop)]
    # no step ever sent the beginning of the stop before it was decided
    sent = ""
    for step in stopped:
        sent += step.text
        assert stop not in sent and full.startswith(sent)


def test_min_tokens_delays_stop_strings(model: LanguageModel) -> None:
    free = text(run(model, temperature=0, max_tokens=30, ignore_eos=True))
    stop = free[:2]
    assert text(run(model, temperature=0, max_tokens=30, ignore_eos=True, stops=(stop,))) == ""
    later = run(model, temperature=0, max_tokens=30, ignore_eos=True, stops=(stop,),
                min_tokens=5)
    assert len(later) >= 5
    assert len(text(later)) >= len(text(run(model, temperature=0, max_tokens=4,
                                            ignore_eos=True)))


def test_logprobs_shape_and_values(model: LanguageModel) -> None:
    steps = run(model, max_tokens=10, logprobs=3, ignore_eos=True)
    context = model.tokenizer.encode(PROMPT)
    offset = 0
    guard, state = model.tokenizer.utf8_guard, 0
    for step in steps:
        entry = step.logprob
        assert entry is not None and entry.top is not None
        # The model's own log probability, over the tokens that keep the text valid UTF-8.
        own = np.log(model.next_probs(context))
        kept = guard.constrain(model.next_probs(context), state)
        expected = np.log(kept[step.token])
        assert entry.logprob == pytest.approx(expected, abs=1e-12)
        assert entry.logprob == pytest.approx(own[step.token], abs=1e-3)
        state = guard.advance(state, step.token)
        assert entry.token == model.tokenizer.token_text(step.token)
        assert len(entry.top) == 3
        values = list(entry.top.values())
        assert values == sorted(values, reverse=True) and values[0] >= entry.logprob
        assert entry.offset == offset
        offset += len(model.tokenizer.decode([step.token]))
        context.append(step.token)
    plain = run(model, max_tokens=3, logprobs=0)
    assert all(s.logprob is not None and s.logprob.top is None for s in plain)
    assert all(s.logprob is None for s in run(model, max_tokens=3))


def test_prompt_logprobs_cover_every_prompt_token(model: LanguageModel) -> None:
    request = GenerationRequest(prompt=PROMPT, settings=SamplerSettings(), logprobs=2)
    generation = Generation(model, request)
    entries = generation.prompt_logprobs()
    assert [e.token for e in entries] == [model.tokenizer.token_text(t)
                                         for t in generation.prompt_ids]
    assert all(e.logprob < 0 and e.top is not None for e in entries)
    assert "".join(e.token for e in entries) == PROMPT
    assert [e.offset for e in entries] == [PROMPT.index(e.token, e.offset) for e in entries]


def test_no_repeat_ngram_size_on_real_text(model: LanguageModel) -> None:
    size = 3
    steps = run(model, temperature=0, max_tokens=80, ignore_eos=True,
                no_repeat_ngram_size=size)
    tokens = model.tokenizer.encode(PROMPT) + [s.token for s in steps]
    grams = [tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1)]
    assert len(grams) == len(set(grams))
    looping = run(model, temperature=0, max_tokens=80, ignore_eos=True)
    tokens = model.tokenizer.encode(PROMPT) + [s.token for s in looping]
    grams = [tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1)]
    assert len(grams) > len(set(grams))  # without it, greedy decoding repeats itself


def test_every_token_banned_ends_with_stop(model: LanguageModel) -> None:
    steps = run(model, custom_token_bans=list(range(model.tokenizer.vocab_size)))
    assert [(s.text, s.finish_reason) for s in steps] == [("", "stop")]


def test_generated_text_is_always_valid_utf8(model) -> None:
    """A byte-level model could emit broken UTF-8; the guard keeps every completion clean,
    and a character cut by max_tokens is left out rather than shown broken."""
    settings = SamplerSettings.from_params(validate_params({"temperature": 2.0}))
    for seed in range(12):
        request = GenerationRequest(prompt="Ünïcödé “quotes” — dash", settings=settings,
                                    max_tokens=60, seed=seed)
        steps = list(Generation(model, request).steps())
        text = "".join(step.text for step in steps)
        tokens = [step.token for step in steps if step.token != model.tokenizer.eot_id]
        assert "\ufffd" not in text
        raw = model.tokenizer.decode_bytes(tokens)
        assert raw.decode("utf-8", "ignore") == text
        assert raw.startswith(text.encode())



def test_completion_prefix_replays_a_step_exactly(model: LanguageModel) -> None:
    """Step k of a run, replayed with the first k tokens as prefix, sees the same chain:
    the same penalties (they count the prefix as generated) and the same distribution."""
    params = {"frequency_penalty": 1.5, "presence_penalty": 0.5, "repetition_penalty": 1.3,
              "min_tokens": 8, "ignore_eos": False}
    settings = SamplerSettings.from_params(validate_params(params))
    full = GenerationRequest(prompt=PROMPT, settings=settings, max_tokens=12, seed=3,
                             trace=True)
    steps = list(Generation(model, full).steps())
    k = 6
    prefix = model.tokenizer.decode([s.token for s in steps[:k]])
    replay = GenerationRequest(prompt=PROMPT, settings=settings, max_tokens=1, seed=3,
                               trace=True, completion_prefix=prefix)
    step = next(Generation(model, replay).steps())
    original, replayed = steps[k].trace, step.trace
    assert original is not None and replayed is not None
    assert original.stages == replayed.stages
    for before, after in zip(original.probs, replayed.probs, strict=True):
        np.testing.assert_allclose(before, after, atol=1e-12)
    # Without the prefix counted as generated, the penalties would differ.
    as_prompt = GenerationRequest(prompt=PROMPT + prefix, settings=settings, max_tokens=1,
                                  seed=3, trace=True)
    other = next(Generation(model, as_prompt).steps()).trace
    assert other is not None
    assert not np.allclose(other.probs[-1], original.probs[-1])
