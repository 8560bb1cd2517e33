"""Sweeps in the core: the grid, the measures, and running cells with retries and a limit."""

from __future__ import annotations

import asyncio
import json
import math
import statistics

import pytest

from playground.core.errors import ApiError, InvalidParameter
from playground.core.runs import RunResult
from playground.core.sweep import (
    Cell,
    Layout,
    Measures,
    SweepPlan,
    SweepState,
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
    plan = SweepPlan("swp-1", "p", "m", "c", (parse_axis("temperature=0.2:1.4:0.2"),
                                              parse_axis("min_p=0,0.05,0.1")), 4,
                     params={"max_tokens": 9})
    assert plan.settings(cells[5]) == ("m", {"max_tokens": 9, "temperature": 0.2,
                                             "min_p": 0.05, "seed": 2})
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


def variant_plan(*texts: str, axes: tuple[str, ...] = ("temperature=0.2,1.2",),
                 seeds: int = 2) -> SweepPlan:
    from playground.core.compare import parse_variant

    return SweepPlan("swp-1", "p", "base/model", "c", tuple(parse_axis(a) for a in axes), seeds,
                     params={"max_tokens": 9, "min_p": 0.1},
                     variants=tuple(parse_variant(text) for text in texts))


def test_variants_run_the_whole_grid_each_with_their_own_model_and_settings() -> None:
    plan = variant_plan("model=other/model", "min_p=null,top_k=40")
    cells = plan.cells()
    assert len(cells) == 2 * 2 * 2
    assert cells[0].key == "[model=other/model] temperature=0.2,seed=1"
    assert cells[-1].key == "[min_p=null,top_k=40] temperature=1.2,seed=2"
    assert plan.settings(cells[0]) == ("other/model", {"max_tokens": 9, "min_p": 0.1,
                                                       "temperature": 0.2, "seed": 1})
    # null unsets the base's min_p for that variant only
    assert plan.settings(cells[-1]) == ("base/model", {"max_tokens": 9, "top_k": 40,
                                                       "temperature": 1.2, "seed": 2})
    again = SweepPlan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again == plan and [c.key for c in again.cells()] == [c.key for c in cells]


@pytest.mark.parametrize(("texts", "says"), [
    (("top_k=1",), "variant: a sweep compares 2 to 4 variants, not 1"),
    (("top_k=1", "top_k=2", "top_k=3", "top_k=4", "top_k=5"), "not 5"),
    (("top_k=1", "top_k=1"), "two variants are the same"),
    (("temperature=0.5", "top_k=2"), "temperature: the variant 'temperature=0.5' sets it"),
    (("seed=3", "top_k=2"), "seed: the variant 'seed=3' sets it"),
])
def test_bad_variants_are_refused_naming_the_field(texts: tuple[str, ...], says: str) -> None:
    with pytest.raises(InvalidParameter, match=says):
        variant_plan(*texts).cells()


def test_the_plots_lay_a_sweep_out_by_its_axes_and_variants() -> None:
    two = Layout.of([parse_axis("temperature=0.2,1.2"), parse_axis("min_p=0,0.1")], ["a", "b"],
                    "b")
    assert (two.x_name, two.x_labels, two.rows) == ("temperature", ("0.2", "1.2"),
                                                    ("min_p=0", "min_p=0.1"))
    assert two.places[1][0] == ("b", (0.2, 0.1))  # the chosen variant's grid
    one = Layout.of([parse_axis("temperature=0.2,1.2")], ["a", "b"])
    assert one.rows == ("a", "b") and one.places[1][1] == ("b", (1.2,))  # a line per variant
    none = Layout.of([], ["a", "b"])
    assert (none.x_name, none.x_labels, none.places) == ("variant", ("a", "b"),
                                                         ((("a", ()), ("b", ())),))
    plain = Layout.of([parse_axis("top_k=1,2")], [])
    assert plain.rows == ("",) and plain.places == (((None, (1,)), (None, (2,))),)


def test_a_state_gives_each_place_its_mean_and_spread() -> None:
    plan = variant_plan("top_k=1", "top_k=2", axes=("temperature=0.2,1.2",), seeds=2)
    state = SweepState(plan, plan.cells())
    texts = {1: "a b c a b c", 2: "a b c d e f"}
    for cell in state.cells:
        if cell.variant == "top_k=2" or cell.point == (0.2,):
            state.add(cell, Measures.of(result(texts[cell.seed])), texts[cell.seed])
    mean, spread = state.values(state.layout(), "distinct_1")
    assert mean.shape == (2, 2)  # a row per variant, a column per temperature
    assert mean[0, 0] == pytest.approx((0.5 + 1.0) / 2) and math.isnan(mean[0, 1])
    assert spread[1, 1] == pytest.approx(statistics.stdev([0.5, 1.0]))
    summaries = state.place_summaries()
    assert [(s.variant, s.point) for s in summaries] == [
        ("top_k=1", (0.2,)), ("top_k=2", (0.2,)), ("top_k=2", (1.2,))]


def test_the_cost_bound_prices_each_cell_at_its_own_model_and_max_tokens(
        tmp_path, monkeypatch) -> None:
    from playground.core.client import ModelInfo
    from playground.core.paths import cache_dir
    from playground.core.storage import atomic_write_json

    atomic_write_json(cache_dir() / "models" / "c.json", [
        ModelInfo("base/model", prompt_price=1.0, completion_price=2.0).to_json(),
        ModelInfo("other/model", prompt_price=10.0, completion_price=20.0).to_json()])
    plan = variant_plan("model=other/model", "max_tokens=100", seeds=1)
    prompt_tokens = 1  # "p"
    cells = plan.cells()  # 2 cells each
    expected = 2 * (prompt_tokens * 10.0 + 9 * 20.0) / 1e6 + 2 * (
        prompt_tokens * 1.0 + 100 * 2.0) / 1e6
    assert plan.cost_bound(cells, "c") == pytest.approx(expected)
    unpriced = variant_plan("model=not/listed", "top_k=3", seeds=1)
    assert unpriced.cost_bound(unpriced.cells(), "c") is None


def test_a_presets_value_for_a_swept_parameter_gives_way_to_the_grid() -> None:
    from playground.core.compare import parse_variant

    def presets(name: str) -> dict:
        return {"temperature": 1.2, "min_p": 0.05}

    plan = SweepPlan("swp-1", "p", "m", "c", (parse_axis("temperature=0.2,1.2"),), 1,
                     variants=(parse_variant("preset=Hot", presets),
                               parse_variant("top_k=4")))
    cell = plan.cells()[0]
    assert plan.settings(cell) == ("m", {"temperature": 0.2, "min_p": 0.05, "seed": 1})


def test_an_unset_max_tokens_is_priced_at_the_servers_default() -> None:
    from playground.core.client import ModelInfo
    from playground.core.paths import cache_dir
    from playground.core.storage import atomic_write_json

    atomic_write_json(cache_dir() / "models" / "c.json", [
        ModelInfo("m", prompt_price=1.0, completion_price=2.0).to_json()])
    plan = SweepPlan("swp-1", "p", "m", "c", (parse_axis("top_k=1,2"),), 1)
    assert plan.cost_bound(plan.cells(), "c") is None  # nothing to go by
    assert plan.cost_bound(plan.cells(), "c", 256) == pytest.approx(2 * (1 + 256 * 2) / 1e6)
