"""The local engine on SmolLM2 against llama.cpp's own sampling of the same model, in one
process, in the same run. Prints one JSON object; run.py shows it beside the targets.

    .venv/bin/python tests/bench/real_model_bench.py [TOKENS] [ROUNDS]

- tokens_per_s_ratio: our whole sampler chain (common settings: temperature, top_k, top_p,
  min_p, repetition penalty) over llama.cpp's own chain with the same settings
  (`create_completion`), TOKENS tokens each, the two taking turns;
- ttft_ratio: time to the first token of a 500-token prompt, both from an empty KV cache;
- shared_prompt_ratio: our second request on the same prompt over our first (the KV cache
  keeps the prompt);
- engine_rss_mb: a real engine process's RSS after a completion with SmolLM2 loaded.

Without the model installed it prints ``{"installed": false}``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["PLAYGROUND_HOME"] = tempfile.mkdtemp(prefix="real-model-bench-")

import httpx

from playground.core.catalog import validate_params
from playground.core.engine_process import EngineProcess
from playground.engine.chain import SamplerSettings
from playground.engine.generation import Generation, GenerationRequest
from playground.engine.gguf import GgufModel
from playground.engine.store import SMOLLM2_ID, smollm2_path

COMMON: dict[str, Any] = {"temperature": 0.8, "top_k": 40, "top_p": 0.95, "min_p": 0.05,
                          "repetition_penalty": 1.1}
TEXT = ("The harbour town woke slowly. Fishing boats came in with the tide, gulls argued over "
        "the nets, and the baker on the corner set out the first loaves of the day. ")


def forget(model: GgufModel) -> None:
    """An empty KV cache, as after loading."""
    model.llama.reset()
    model.llama._ctx.kv_cache_clear()
    model._evaluated, model._last = [], None


def ours(model: GgufModel, prompt: str, tokens: int) -> tuple[float, float]:
    """(tokens per second, seconds to the first token) through our chain."""
    request = GenerationRequest(prompt=prompt, max_tokens=tokens, seed=1,
                                settings=SamplerSettings.from_params(validate_params(COMMON)))
    started = time.perf_counter()
    steps = Generation(model, request).steps()
    next(steps)
    first = time.perf_counter() - started
    count = 1 + sum(1 for _ in steps)
    return count / (time.perf_counter() - started), first


def theirs(model: GgufModel, prompt: str, tokens: int) -> tuple[float, float]:
    """The same through llama.cpp's own sampler chain."""
    started = time.perf_counter()
    first = 0.0
    count = 0
    for _chunk in model.llama.create_completion(
            prompt, max_tokens=tokens, temperature=0.8, top_k=40, top_p=0.95, min_p=0.05,
            repeat_penalty=1.1, seed=1, stream=True):
        count += 1
        first = first or time.perf_counter() - started
    forget(model)  # its cache is not ours
    return count / (time.perf_counter() - started), first


def engine_rss_mb() -> float:
    with EngineProcess(port=0) as engine:
        httpx.post(f"{engine.base_url}/completions", timeout=120, json={
            "model": SMOLLM2_ID, "prompt": "Once upon a time", "max_tokens": 32})
        status = Path(f"/proc/{engine.pid}/status").read_text()
    kb = next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]
    return int(kb) / 1024


def main(tokens: int, rounds: int) -> None:
    path = smollm2_path()
    if path is None:
        print(json.dumps({"installed": False}))
        return
    model = GgufModel(path)
    ids = model.tokenizer.encode(TEXT * 40)[:500]
    long_prompt = model.tokenizer.decode(ids)
    ours(model, "Once upon a time", 16)  # warm up both
    theirs(model, "Once upon a time", 16)
    rates, ttft, shared = [], [], []
    for _ in range(rounds):
        forget(model)
        our_rate, _ = ours(model, "Once upon a time", tokens)
        their_rate, _ = theirs(model, "Once upon a time", tokens)
        rates.append(our_rate / their_rate)
        forget(model)
        _, our_first = ours(model, long_prompt, 1)
        _, again = ours(model, long_prompt, 1)
        forget(model)
        _, their_first = theirs(model, long_prompt, 1)
        ttft.append(our_first / their_first)
        shared.append(again / our_first)
    print(json.dumps({"installed": True, "tokens_per_s_ratio": statistics.median(rates),
                      "ttft_ratio": statistics.median(ttft),
                      "shared_prompt_ratio": statistics.median(shared),
                      "engine_rss_mb": engine_rss_mb(),
                      "samples": {"rates": rates, "ttft": ttft, "shared": shared}}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
         int(sys.argv[2]) if len(sys.argv) > 2 else 3)
