"""Local engine benchmark: prints numbers, asserts nothing.

    .venv/bin/python tests/bench/engine_bench.py

Targets on a small machine: build <= 3 s, load <= 0.3 s, >= 2,000 tokens/s with every sampler
stage active, time to first token over HTTP streaming <= 30 ms. Runs in a fresh temporary
PLAYGROUND_HOME so the first build is a real one.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ["PLAYGROUND_HOME"] = tempfile.mkdtemp(prefix="engine-bench-")

import httpx

from playground.core.catalog import validate_params
from playground.core.engine_process import EngineProcess
from playground.engine.chain import SamplerSettings
from playground.engine.generation import Generation, GenerationRequest
from playground.engine.model import LanguageModel, load_model
from playground.engine.store import BUILTIN_ID, ModelStore, builtin_path

EVERY_STAGE: dict[str, Any] = {
    "temperature": 0.9, "top_k": 60, "tfs": 0.97, "typical_p": 0.95, "top_p": 0.95,
    "min_p": 0.02, "top_a": 0.05, "epsilon_cutoff": 0.0003, "eta_cutoff": 0.0009,
    "repetition_penalty": 1.1, "frequency_penalty": 0.2, "presence_penalty": 0.2,
    "no_repeat_ngram_size": 4, "min_tokens": 10, "ignore_eos": True,
    "logit_bias": {"46": -1.5}, "custom_token_bans": [95], "stop_token_ids": [3000],
}
NO_TRUNCATION_LIMIT: dict[str, Any] = {**EVERY_STAGE, "top_k": 0}
#: Every stage with the newer samplers too, DRY looking back over a 4,096-token context.
WITH_NEWER: dict[str, Any] = {**EVERY_STAGE, "dry_multiplier": 0.8, "dry_penalty_last_n": 4096,
                              "top_n_sigma": 2.0, "xtc_probability": 0.5,
                              "smoothing_factor": 0.3, "dynatemp_range": 0.3,
                              # phrases it meets now and then: held text, and going back
                              "banned_strings": [" the", "ing the", "\n\n"]}
#: Text for a prompt of that length: this project's README.
LONG_TEXT = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
MIROSTAT: dict[str, Any] = {**EVERY_STAGE, "mirostat_mode": 2, "mirostat_tau": 5.0,
                            "mirostat_eta": 0.1}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def long_prompt(model: LanguageModel, tokens: int = 4096) -> str:
    return model.tokenizer.decode(model.tokenizer.encode(LONG_TEXT)[:tokens])


def tokens_per_second(model: LanguageModel, params: dict[str, Any], tokens: int,
                      prompt: str = "The function returns") -> float:
    request = GenerationRequest(prompt=prompt, max_tokens=tokens, seed=1,
                                settings=SamplerSettings.from_params(validate_params(params)))
    generation = Generation(model, request)
    start = time.perf_counter()
    count = sum(1 for _ in generation.steps())
    return count / (time.perf_counter() - start)


def ttft_ms(base_url: str, runs: int) -> list[float]:
    body = {"model": BUILTIN_ID, "prompt": "The file", "max_tokens": 8, "stream": True,
            **EVERY_STAGE}
    out = []
    with httpx.Client(timeout=30) as client:
        for _ in range(runs):
            start = time.perf_counter()
            with client.stream("POST", f"{base_url}/completions", json=body) as response:
                for line in response.iter_lines():
                    if line.startswith("data: {"):
                        out.append((time.perf_counter() - start) * 1000)
                        json.loads(line[6:])
                        break
    return out


def main() -> None:
    store = ModelStore()
    build = timed(lambda: store.get(BUILTIN_ID))
    path = builtin_path()
    loads = [timed(lambda: load_model(path)) for _ in range(5)]
    cold_get = timed(lambda: ModelStore().get(BUILTIN_ID))
    model = store.get(BUILTIN_ID)
    print(f"first build (corpus + tokenizer + n-gram + save): {build:.2f} s")
    print(f"load from cache: median {statistics.median(loads) * 1000:.0f} ms; "
          f"ModelStore.get incl. cache key: {cold_get * 1000:.0f} ms "
          f"({path.stat().st_size / 1e6:.1f} MB, {model.info.training_tokens} training tokens)")
    tokens_per_second(model, EVERY_STAGE, 200)  # warm up
    for label, params in (("every stage (top_k 60)", EVERY_STAGE),
                          ("every stage, top_k off", NO_TRUNCATION_LIMIT),
                          ("penalties + mirostat 2", MIROSTAT),
                          ("ignore_eos only", {"ignore_eos": True})):
        rate = tokens_per_second(model, params, 2000)
        print(f"tokens/s, {label}: {rate:,.0f}")
    with EngineProcess() as engine:
        ttft_ms(engine.base_url, 3)  # warm up (the model may still be loading)
        samples = ttft_ms(engine.base_url, 30)
    print(f"time to first token over HTTP streaming: median {statistics.median(samples):.1f} ms,"
          f" p90 {sorted(samples)[int(len(samples) * 0.9)]:.1f} ms")


if __name__ == "__main__":
    main()
