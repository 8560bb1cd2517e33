"""Banned phrases: generation goes back to where a completed phrase began and bans that token
there; text that might still be taken back is never sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from playground.core.catalog import validate_params
from playground.engine.chain import Sampler, SamplerSettings
from playground.engine.generation import Generation, GenerationRequest, Step
from playground.engine.model import LanguageModel
from playground.engine.phrases import PhraseWatch
from tests.engine.scripted import ScriptedModel
from tests.engine.test_server import post, stream_events

STORY: Mapping[str, Mapping[str | bytes, float]] = {
    "Once": {" upon": 0.6, " there": 0.4},
    "Once upon": {" a": 0.7, " the": 0.3},
    "Once upon a": {" time": 0.9, " hill": 0.1},
    "Once upon the": {" hill": 1},
    "Once upon a time": {".": 1},
    "Once upon a hill": {".": 1},
    "Once upon the hill": {".": 1},
    "Once there": {" was": 1},
}
PIECES = [" upon", " there", " a", " the", " time", " hill", " was", ".", "Once"]


def story() -> ScriptedModel:
    return ScriptedModel(PIECES, lambda text: STORY.get(text, {}))


def generate(model: Any, prompt: str, *, max_tokens: int = 20, trace: bool = False,
             **params: Any) -> list[Step]:
    settings = SamplerSettings.from_params(validate_params({"temperature": 0, **params}))
    request = GenerationRequest(prompt=prompt, settings=settings, max_tokens=max_tokens,
                                seed=1, trace=trace)
    return list(Generation(model, request).steps())


def joined(steps: list[Step]) -> str:
    return "".join(step.text for step in steps)


def test_without_bans_the_story_is_the_greedy_one() -> None:
    assert joined(generate(story(), "Once")) == " upon a time."


def test_a_phrase_across_tokens_sends_generation_back_to_its_first_token() -> None:
    # "upon a time" begins inside " upon": that token is banned at that position, and the
    # text goes on from the next best choice there
    steps = generate(story(), "Once", banned_strings=["upon a time"])
    assert joined(steps) == " there was"
    assert [s.finish_reason for s in steps][-1] == "stop"


def test_only_the_token_where_the_phrase_began_is_banned() -> None:
    # the phrase begins at " a": " upon" stays, " a" is banned after it
    assert joined(generate(story(), "Once", banned_strings=["a time"])) == " upon the hill."


def test_text_that_may_still_be_taken_back_is_never_sent_early() -> None:
    model = story()
    steps = Generation(model, GenerationRequest(
        prompt="Once", max_tokens=20, seed=1,
        settings=SamplerSettings.from_params(validate_params(
            {"temperature": 0, "banned_strings": ["a time"]})))).steps()
    first = next(steps)
    # " upon" cannot begin "a time", so it is sent at once; " a" waits for " time"
    assert first.text == " upon" and model.calls == ["Once"]
    rest = list(steps)
    assert "".join(s.text for s in rest) == " the hill."
    assert " a" not in [s.text for s in rest]


def test_a_phrase_that_begins_in_the_prompt_bans_the_first_generated_token() -> None:
    pieces = ["Once up", "on", "ward", " a", " time"]
    script = {"Once up": {"on": 0.8, "ward": 0.2}, "Once upon": {" a": 1},
              "Once upward": {" a": 1}}
    model = ScriptedModel(pieces, lambda text: script.get(text, {}))
    assert joined(generate(model, "Once up", banned_strings=["upon"])) == "ward a"


def test_a_character_split_over_tokens_goes_back_to_its_first_byte() -> None:
    pieces = ["caf", b"\xc3", b"\xa9", "e"]
    script = {"The caf": {b"\xc3": 0.9, "e": 0.1}, "The caf\ufffd": {b"\xa9": 1}}
    model = ScriptedModel([*pieces, "The "], lambda text: script.get(text, {}))
    assert joined(generate(model, "The caf")) == "é"
    steps = generate(model, "The caf", banned_strings=["é"])
    assert joined(steps) == "e"


def test_held_text_is_sent_when_max_tokens_ends_the_run() -> None:
    steps = generate(story(), "Once", max_tokens=2, banned_strings=["a time"])
    assert joined(steps) == " upon a" and steps[-1].finish_reason == "length"


def test_the_trace_shows_the_ban_where_generation_went_back() -> None:
    steps = generate(story(), "Once", trace=True, banned_strings=["upon a time"])
    first = steps[0].trace
    assert first is not None and "banned_strings" in first.stages
    banned = first.probs[first.stages.index("banned_strings")]
    assert banned[story().tokenizer.id(" upon")] == 0
    assert "banned_strings" not in (steps[1].trace.stages if steps[1].trace else ())


def test_several_phrases_and_a_stop_sequence_together() -> None:
    steps = generate(story(), "Once", banned_strings=["upon a time", "there"])
    # both openings banned at position 0; the rest of " upon"'s story is then unbanned
    assert "there" not in joined(steps) and "upon a time" not in joined(steps)
    request = GenerationRequest(
        prompt="Once", max_tokens=20, seed=1, stops=("hill",),
        settings=SamplerSettings.from_params(validate_params(
            {"temperature": 0, "banned_strings": ["a time"]})))
    stopped = list(Generation(story(), request).steps())
    assert joined(stopped) == " upon the " and stopped[-1].finish_reason == "stop"


def test_rewind_restores_the_sampler_as_if_the_tokens_were_never_drawn() -> None:
    settings = SamplerSettings.from_params(validate_params(
        {"frequency_penalty": 0.5, "repetition_penalty": 1.2, "no_repeat_ngram_size": 2,
         "mirostat_mode": 2}))
    rng = np.random.default_rng(3)
    logprobs = np.log(rng.dirichlet(np.ones(50)))
    sampler = Sampler(settings, 50, 49, [1, 2, 3], np.random.default_rng(0))
    for _ in range(3):
        sampler.sample(logprobs)
    kept = list(sampler.history)
    mu = sampler.mu
    for _ in range(4):
        sampler.sample(logprobs)
    sampler.rewind(4)
    fresh = Sampler(settings, 50, 49, [1, 2, 3], np.random.default_rng(0))
    fresh.replay(kept[3:])
    assert sampler.history == kept and sampler.mu == mu
    assert sampler.generated == 3
    assert (sampler.counts == fresh.counts).all() and (sampler.seen == fresh.seen).all()
    assert sampler.ngrams is not None and fresh.ngrams is not None
    assert sampler.ngrams.banned() == fresh.ngrams.banned()


def test_the_watch_holds_only_what_could_still_become_a_phrase() -> None:
    watch = PhraseWatch(["upon a time"], "Once")
    assert watch.feed(" up") is None and watch.settled() == 1  # "up" may grow into it
    assert watch.feed("side") is None and watch.settled() == len(" upside")
    empty = PhraseWatch([], "Once")
    assert empty.feed("abc") is None and empty.settled() == 3 and empty.text == ""


def test_banned_phrases_over_the_wire_streamed_or_not(base_url: str,
                                                      model: LanguageModel) -> None:
    body = {"model": "local/stdlib", "prompt": "The function returns the", "max_tokens": 24,
            "temperature": 0, "seed": 4}
    free = post(base_url, body).json()["choices"][0]["text"]
    words = free.split()
    phrase = " ".join(words[1:3])
    assert phrase in free
    banned = {**body, "banned_strings": [phrase]}
    text = post(base_url, banned).json()["choices"][0]["text"]
    assert phrase not in text and text != free
    events = stream_events(base_url, {**banned, "stream": True})
    streamed = "".join(e["choices"][0]["text"] for e in events if isinstance(e, dict))
    assert streamed == text
    refused = post(base_url, {**body, "banned_strings": [""]})
    assert refused.status_code == 400 and refused.json()["param"] == "banned_strings"
