"""Sweeps in the core: the grid, the measures, and running cells with retries and a limit."""

from __future__ import annotations

import asyncio
import math

import pytest

from playground.core.errors import ApiError, InvalidParameter
from playground.core.runs import RunResult
from playground.core.sweep import (
    Cell,
    Measures,
    grid,
    overlap,
    parse_axis,
    remaining,
    repetition_rate,
    retry_wait,
    run_cells,
    summarise,
)


def test_a_range_includes_its_end_without_drifting_and_a_list_is_taken_as_written() -> None:
    axis = parse_axis("temperature=0.2:1.4:0.2")
    assert axis.values == (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4)
    assert parse_axis("min_p=0,0.05,0.1").values == (0, 0.05, 0.1)
    assert parse_axis("top_k=10:40:10").values == (10, 20, 30, 40)
    assert parse_axis('stop=["\\n"],["."]').values == (["\n"], ["."])


@pytest.mark.parametrize(("text", "says"), [
    ("temperature=0:3:1", "temperature: 3 is above the maximum 2"),
    ("temperature=1:0:0.5", "is not START:STOP:STEP"),
    ("temperature=0:1:0", "is not START:STOP:STEP"),
    ("temperature", "expected NAME=START:STOP:STEP"),
    ("seed=1,2", "seed: not a parameter a sweep can vary"),
    ("tempreature=1", "tempreature: not a sampler parameter"),
    ("top_k=0:1000:1", "makes 1001 values; at most 64"),
])
def test_a_bad_axis_is_refused_naming_the_field(text: str, says: str) -> None:
    with pytest.raises(InvalidParameter, match=says):
        parse_axis(text)


def test_the_grid_is_every_combination_times_the_seeds() -> None:
    cells = grid([parse_axis("temperature=0.2:1.4:0.2"), parse_axis("min_p=0,0.05,0.1")], 4)
    assert len(cells) == 84
    assert cells[0].key == "temperature=0.2,min_p=0,seed=1"
    assert cells[-1].key == "temperature=1.4,min_p=0.1,seed=4"
    assert cells[5].params({"max_tokens": 9}) == {"max_tokens": 9, "temperature": 0.2,
                                                  "min_p": 0.05, "seed": 2}
    assert len({cell.key for cell in cells}) == 84
    with pytest.raises(InvalidParameter, match="swept twice"):
        grid([parse_axis("top_k=1,2"), parse_axis("top_k=3")], 1)


def test_resuming_leaves_out_only_the_cells_that_succeeded() -> None:
    cells = grid([parse_axis("top_k=1,2")], 2)
    recorded = [(cells[0].key, "ok"), (cells[1].key, "error"), (cells[2].key, "cancelled")]
    assert remaining(cells, recorded) == cells[1:]


def result(text: str, *, error: ApiError | None = None, logprobs: list | None = None
           ) -> RunResult:
    out = RunResult(text=text, logprobs=logprobs or [])
    out.finish(error=error)
    return out


def test_measures_of_one_run() -> None:
    text = "a b c d a b c d a b c d"
    assert repetition_rate(text) == pytest.approx(1 - 4 / 9)  # 9 4-grams, 4 distinct
    chunks = [{"tokens": ["a", "b"], "token_logprobs": [-1.0, -3.0]}]
    m = Measures.of(result(text, logprobs=chunks))
    assert m.mean_logprob == -2.0 and m.perplexity == pytest.approx(math.exp(2.0))
    assert m.distinct_1 == pytest.approx(4 / 12) and m.error is None
    assert Measures.of(result("x")).perplexity is None


def test_a_cell_across_seeds_has_mean_spread_and_diversity() -> None:
    a = Measures.of(result("the cat sat on the mat"))
    b = Measures.of(result("the cat sat on a hat"))
    failed = Measures.of(result("", error=ApiError(500, "boom")))
    summary = summarise((0.7,), [(a, "the cat sat on the mat"), (b, "the cat sat on a hat"),
                                 (failed, "")])
    assert (summary.runs, summary.failed) == (3, 1)
    assert summary.mean["distinct_2"] == 1.0 and summary.spread["distinct_2"] == 0.0
    shared = overlap("the cat sat on the mat", "the cat sat on a hat")
    assert shared == pytest.approx(3 / 7)  # the cat, cat sat, sat on of 7 distinct bigrams
    assert summary.diversity == pytest.approx(1 - 3 / 7)


def test_retries_wait_as_the_server_says_and_give_up_on_client_errors() -> None:
    assert retry_wait(ApiError(429, "slow", retry_after=7.0), 1) == 7.0
    assert retry_wait(ApiError(429, "slow"), 2) == 4.0
    assert retry_wait(ApiError(429, "slow", retry_after=900.0), 1) == 60.0
    assert retry_wait(ApiError(503, "busy"), 1) == 0.5
    assert retry_wait(ApiError(0, "dropped"), 2) == 1.0
    assert retry_wait(ApiError(400, "bad"), 1) is None
    assert retry_wait(ApiError(503, "busy"), 4) is None


def test_cells_run_within_the_limit_retry_and_are_recorded_as_they_end() -> None:
    cells = grid([parse_axis("top_k=1:12:1")], 1)
    answers = {cells[0].key: [429, 200], cells[1].key: [503, 503, 503, 503],
               cells[2].key: [400]}
    running, most, waits, recorded = 0, 0, [], []

    async def run(cell: Cell, out: RunResult) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001)
        running -= 1
        status = answers.get(cell.key, [200]).pop(0) if answers.get(cell.key) else 200
        out.text = cell.key
        out.finish(error=None if status == 200 else ApiError(status, "no",
                                                             retry_after=0.25))

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    asyncio.run(run_cells(cells, run, lambda cell, r: recorded.append((cell.key, r)),
                          concurrency=3, sleep=sleep))
    assert most == 3 and len(recorded) == 12
    outcome = {key: r.error.status if r.error else 200 for key, r in recorded}
    assert outcome[cells[0].key] == 200  # a 429, then fine
    assert outcome[cells[1].key] == 503  # failing four times: recorded with its error
    assert outcome[cells[2].key] == 400  # not retried
    assert sorted(waits) == [0.25, 0.25, 0.25, 0.25]  # Retry-After each time


def test_stopping_a_sweep_records_the_runs_under_way_as_stopped() -> None:
    cells = grid([parse_axis("top_k=1:6:1")], 1)
    recorded: list[tuple[str, RunResult]] = []

    async def run(cell: Cell, out: RunResult) -> None:
        out.text = "partial"
        await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.ensure_future(run_cells(cells, run, lambda c, r: recorded.append(
            (c.key, r)), concurrency=2))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert len(recorded) == 2  # the two under way; the rest never started
    assert all(r.cancelled and r.text == "partial" for _, r in recorded)
