"""Sweep figures for run.py, each printed as one JSON line.

    sweep_bench.py grid CELLS TOKENS ROUNDS
        An 84-run grid (temperature 0.2:1.4:0.2 × min_p 0,0.05,0.1 × 4 seeds; fewer with a
        smaller CELLS) of TOKENS tokens each on the local engine at concurrency 4, through the
        sweep's own path (run_cells, CompletionClient, history and the measures file), against
        the same requests fired by a bare httpx script at the same concurrency. The two take
        turns, ROUNDS times; wall seconds of each.

    sweep_bench.py thousand URL
        ``playground sweep`` of 1,000 runs against the bench's loopback server at URL, as its
        own process: its peak RSS and wall time.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def grid(cells: int, tokens: int, rounds: int) -> None:
    os.environ["PLAYGROUND_HOME"] = tempfile.mkdtemp(prefix="sweep-bench-")
    from playground.core.engine_process import EngineProcess
    from playground.core.sweep import SweepPlan, new_sweep_id, parse_axis

    axes = (parse_axis("temperature=0.2:1.4:0.2"), parse_axis("min_p=0,0.05,0.1"))
    base = {"max_tokens": tokens, "ignore_eos": True}
    sweep_s: list[float] = []
    bare_s: list[float] = []
    with EngineProcess() as engine:
        for turn in range(rounds + 1):  # the first turn warms the engine up, and is not kept
            plan = SweepPlan(new_sweep_id(), "The function returns the", "local/stdlib",
                             "local", axes, 4, params=base)
            todo = plan.cells()[:cells]
            requests = {c.key: plan.request(c, "local engine") for c in todo}
            jobs = [(bare(engine.base_url, [r.wire_body() for r in requests.values()]),
                     bare_s), (swept(engine.base_url, plan, requests), sweep_s)]
            for job, into in jobs if turn % 2 else reversed(jobs):  # each goes first in turn
                started = time.perf_counter()
                asyncio.run(job)
                if turn:
                    into.append(time.perf_counter() - started)
    print(json.dumps({"sweep_s": sweep_s, "bare_s": bare_s, "runs": cells}), flush=True)


async def swept(url: str, plan: Any, requests: dict[str, Any]) -> None:
    """The sweep's own path, as ``playground sweep`` takes it."""
    from playground.core.client import CompletionClient
    from playground.core.history import History
    from playground.core.runs import RunResult, execute
    from playground.core.sweep import Cell, Measures, SweepPlans, run_cells

    plans = SweepPlans()
    cells = [cell for cell in plan.cells() if cell.key in requests]
    with History() as history:
        async with CompletionClient(url) as client:
            def record(cell: Cell, result: RunResult) -> None:
                run_id = history.record(requests[cell.key], result, connection="local",
                                        group=plan.group, variant=cell.key)
                plans.add_measures(plan.group, run_id, Measures.of(result))

            async def run(cell: Cell, result: RunResult) -> None:
                await execute(client, requests[cell.key], result=result)

            await run_cells(cells, run, record, concurrency=4)


async def bare(url: str, bodies: list[dict[str, Any]]) -> None:
    """The same requests from a bare httpx client, four at a time."""
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(timeout=60) as client:
        async def one(body: dict[str, Any]) -> None:
            async with gate, client.stream("POST", f"{url}/completions", json=body) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data: {"):
                        json.loads(line[6:])
        await asyncio.gather(*(one(body) for body in bodies))


def thousand(url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as home:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "playground", "sweep", "--prompt", "p", "--model", "m",
             "--base-url", url, "--grid", "top_k=1:40:1", "--seeds", "25",
             "--concurrency", "8", "--quiet", "--json"],
            capture_output=True, text=True, cwd=ROOT, timeout=900,
            env={**os.environ, "PLAYGROUND_HOME": home})
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"the sweep failed: {done.stderr[-2000:]}")
        points = json.loads(done.stdout)
        runs = sum(point["runs"] for point in points)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"rss_mb": peak_kb / 1024, "seconds": seconds, "runs": runs}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "grid":
        grid(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        thousand(sys.argv[2])
