"""Sweeps: up to two parameters over a grid of values × N seeds, on one prompt and settings,
optionally × 2–4 variants of the base (another model, a preset, other settings).

A sweep is a history group (``swp-…``). Every run is recorded the moment it ends, its cell
(``temperature=0.2,min_p=0.05,seed=3``, after ``[VARIANT] `` when there are variants) as the
run's variant, so a sweep that was stopped, or whose process was killed, resumes by running only
the cells without a successful run.

Cells run with a concurrency limit. A ``429``, a 5xx answer or a network failure is tried
again a few times, after the server's ``Retry-After`` or a growing back-off; what still fails is
recorded with its error, and the sweep goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import math
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import numpy.typing as npt

from playground.core import logprobs as logprob_data
from playground.core.assignments import parse_field_text
from playground.core.catalog import BY_NAME, Kind, body_fields, validate_params
from playground.core.compare import Variant, distinct_n, split_top_level
from playground.core.errors import ApiError, InvalidParameter
from playground.core.extra_fields import check_extra
from playground.core.history import RunRecord
from playground.core.paths import data_dir
from playground.core.pricing import cost_bound, listed_prices
from playground.core.request import CompletionRequest, build_request
from playground.core.runs import RunResult
from playground.core.storage import CorruptFile, atomic_write_json, load_json
from playground.core.token_estimate import estimate_tokens

GROUP_PREFIX = "swp-"
MAX_AXES = 2
MAX_VALUES = 64
MAX_CELLS = 10_000
#: A sweep compares none, or this many, variants of its base.
MIN_VARIANTS, MAX_VARIANTS = 2, 4
#: How often one cell is tried when the server is busy (429) or failing (5xx, network).
ATTEMPTS = 4
#: The longest wait for one retry, whatever Retry-After says.
MAX_WAIT_S = 60.0


def new_sweep_id() -> str:
    return f"{GROUP_PREFIX}{uuid.uuid4().hex[:12]}"


def is_sweep_group(group: str | None) -> bool:
    return bool(group) and str(group).startswith(GROUP_PREFIX)


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[Any, ...]


def parse_axis(text: str) -> Axis:
    """``temperature=0.2:1.4:0.2`` (start, stop included, step) or ``min_p=0,0.05,0.1``; every
    value checked by the catalog. Raises `InvalidParameter` naming the parameter."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise InvalidParameter("grid", f"--grid {text!r}: expected NAME=START:STOP:STEP or "
                               "NAME=V1,V2,...")
    if name not in BY_NAME or name == "seed":
        raise InvalidParameter(name, f"{name}: not a parameter a sweep can vary" if
                               name == "seed" else f"{name}: not a sampler parameter")
    values = _range(name, spec) if ":" in spec and not spec.lstrip().startswith(("[", '"')) \
        else [parse_field_text(name, part) for part in split_top_level(spec)]
    if not values or len(values) > MAX_VALUES:
        raise InvalidParameter(name, f"{name}: a sweep takes 1 to {MAX_VALUES} values, "
                               f"not {len(values)}")
    for value in values:
        validate_params({name: value})
    return Axis(name, tuple(values))


def _range(name: str, spec: str) -> list[Any]:
    """START:STOP:STEP, STOP included, counted in decimals (0.1 steps do not drift)."""
    parts = [part.strip() for part in spec.split(":")]
    numbers: list[Decimal] = []
    if len(parts) == 3:
        try:
            numbers = [Decimal(part) for part in parts]
        except InvalidOperation:
            numbers = []
    if not numbers or not all(n.is_finite() for n in numbers) or numbers[2] <= 0 \
            or numbers[1] < numbers[0]:
        raise InvalidParameter(name, f"{name}: {spec!r} is not START:STOP:STEP with a step "
                               "above 0 and START <= STOP")
    start, stop, step = numbers
    count = int((stop - start) / step) + 1
    if count > MAX_VALUES:
        raise InvalidParameter(name, f"{name}: {spec!r} makes {count} values; at most "
                               f"{MAX_VALUES}")
    integral = BY_NAME[name].kind is Kind.INTEGER
    return [int(start + i * step) if integral else float(start + i * step)
            for i in range(count)]


#: Where a run belongs in the plots: its variant's label (None: no variants) and its point.
Place = tuple[str | None, tuple[Any, ...]]


@dataclass(frozen=True)
class Cell:
    """One run of the grid: its parameter values, seed and variant."""

    values: tuple[tuple[str, Any], ...]
    seed: int
    variant: str | None = None  # the label of its variant, if the sweep has variants

    @property
    def key(self) -> str:
        """How history names it (the run's variant)."""
        values = ",".join([*(f"{name}={_show(value)}" for name, value in self.values),
                           f"seed={self.seed}"])
        return values if self.variant is None else f"[{self.variant}] {values}"

    @property
    def point(self) -> tuple[Any, ...]:
        """Its place in the grid (the values without the seed)."""
        return tuple(value for _, value in self.values)

    @property
    def place(self) -> Place:
        return (self.variant, self.point)


def _show(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def grid(axes: Sequence[Axis], seeds: int, first_seed: int = 1,
         variants: Sequence[str] = ()) -> list[Cell]:
    """Every cell: each variant (by label), each combination of the axes' values, each with
    `seeds` seeds."""
    if len(axes) > MAX_AXES:
        raise InvalidParameter("grid", f"grid: at most {MAX_AXES} parameters")
    if len({axis.name for axis in axes}) != len(axes):
        raise InvalidParameter("grid", "grid: a parameter is swept twice")
    if seeds < 1:
        raise InvalidParameter("seeds", "seeds: at least 1")
    combos = list(itertools.product(*(axis.values for axis in axes)))
    labels: Sequence[str | None] = variants or [None]
    if len(combos) * seeds * len(labels) > MAX_CELLS:
        raise InvalidParameter("grid", f"grid: {len(combos) * seeds * len(labels)} runs; at "
                               f"most {MAX_CELLS}")
    names = [axis.name for axis in axes]
    return [Cell(tuple(zip(names, combo, strict=True)), first_seed + s, label)
            for label in labels for combo in combos for s in range(seeds)]


def check_variants(variants: Sequence[Variant], axes: Sequence[Axis]) -> None:
    """None, or 2 to 4 variants with different labels, none writing a swept parameter or the
    seed (the grid sets those, over a preset's too); `InvalidParameter` names the first
    fault."""
    if variants and not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
        raise InvalidParameter("variant", f"variant: a sweep compares {MIN_VARIANTS} to "
                               f"{MAX_VARIANTS} variants, not {len(variants)}")
    labels = [variant.label for variant in variants]
    if len(set(labels)) != len(labels):
        raise InvalidParameter("variant", "variant: two variants are the same "
                               f"({next(x for x in labels if labels.count(x) > 1)})")
    swept = {axis.name for axis in axes} | {"seed"}
    for variant in variants:
        written = {item.partition("=")[0].strip() for item in split_top_level(variant.label)}
        clash = sorted(swept & written)
        if clash:
            raise InvalidParameter(clash[0], f"{clash[0]}: the variant {variant.label!r} sets "
                                   "it, but the sweep sets it for every run")


# --- measures --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Measures:
    """One run's figures."""

    tokens: int
    total_ms: float
    tokens_per_s: float | None
    finish_reason: str | None
    distinct_1: float | None
    distinct_2: float | None
    repetition: float | None  # share of word 4-grams that repeat an earlier one
    mean_logprob: float | None
    perplexity: float | None
    error: str | None = None

    @classmethod
    def of(cls, result: RunResult) -> Measures:
        tokens = logprob_data.read_all(result.logprobs)
        values = [t.logprob for t in tokens if t.logprob is not None]
        mean = statistics.fmean(values) if values else None
        return cls(tokens=result.completion_tokens, total_ms=result.elapsed_ms,
                   tokens_per_s=result.tokens_per_s,
                   finish_reason="stopped" if result.cancelled else result.finish_reason,
                   distinct_1=distinct_n(result.text, 1), distinct_2=distinct_n(result.text, 2),
                   repetition=repetition_rate(result.text), mean_logprob=mean,
                   perplexity=math.exp(-mean) if mean is not None else None,
                   error=str(result.error) if result.error else None)


    @classmethod
    def of_record(cls, run: RunRecord) -> Measures:
        """From history, which keeps no log probabilities: those measures are None."""
        usage = run.usage or {}
        tokens = usage.get("completion_tokens")
        error = run.error or {}
        return cls(tokens=int(tokens) if isinstance(tokens, int) else 0,
                   total_ms=run.total_ms or 0.0, tokens_per_s=run.tokens_per_s,
                   finish_reason="stopped" if run.cancelled else run.finish_reason,
                   distinct_1=distinct_n(run.output, 1), distinct_2=distinct_n(run.output, 2),
                   repetition=repetition_rate(run.output), mean_logprob=None,
                   perplexity=None,
                   error=str(error.get("message") or "error") if run.error else None)


def kept_measures(run: RunRecord, measured: Mapping[int, Measures]) -> Measures:
    """A recorded run's measures: as kept beside its sweep's plan (`SweepPlans.measures`), or,
    for a run without them, as history gives them (no log probabilities)."""
    return measured.get(run.id) or Measures.of_record(run)


NUMERIC = ("tokens", "total_ms", "tokens_per_s", "distinct_1", "distinct_2", "repetition",
           "mean_logprob", "perplexity")


def repetition_rate(text: str, n: int = 4) -> float | None:
    """Share of word n-grams that already occurred earlier in the text."""
    words = text.split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    return 1 - len(set(grams)) / len(grams)


def overlap(a: str, b: str, n: int = 2) -> float | None:
    """How alike two texts are: shared distinct word n-grams over all of them (Jaccard)."""
    def grams(text: str) -> set[tuple[str, ...]]:
        words = text.split()
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    left, right = grams(a), grams(b)
    return len(left & right) / len(left | right) if left | right else None


@dataclass(frozen=True)
class CellSummary:
    """A grid point across its seeds: the mean and spread of each measure, and how different
    the seeds' outputs are from each other (1 - mean pairwise overlap)."""

    point: tuple[Any, ...]
    runs: int
    failed: int
    mean: dict[str, float | None]
    spread: dict[str, float | None]
    diversity: float | None
    variant: str | None = None


def summarise(point: tuple[Any, ...], results: Sequence[tuple[Measures, str]],
              variant: str | None = None) -> CellSummary:
    """`results`: each seed's measures and text."""
    ok = [(m, text) for m, text in results if m.error is None]
    mean: dict[str, float | None] = {}
    spread: dict[str, float | None] = {}
    for name in NUMERIC:
        values = [float(v) for m, _ in ok if (v := getattr(m, name)) is not None]
        mean[name] = statistics.fmean(values) if values else None
        spread[name] = statistics.stdev(values) if len(values) > 1 else None
    pairs = [overlap(a, b) for (_, a), (_, b) in itertools.combinations(ok, 2)]
    known = [p for p in pairs if p is not None]
    return CellSummary(point, len(results), len(results) - len(ok), mean, spread,
                       1 - statistics.fmean(known) if known else None, variant)


# --- running ---------------------------------------------------------------------------------

#: Runs one cell, filling the result it is given (text so far included, if it is stopped).
Runner = Callable[[Cell, RunResult], Awaitable[None]]
Recorder = Callable[[Cell, RunResult], None]


def retry_wait(error: ApiError, attempt: int) -> float | None:
    """How long to wait before trying again after `error` on try `attempt` (None: do not)."""
    if attempt >= ATTEMPTS or not (error.status in (0, 429) or error.status >= 500):
        return None
    if error.retry_after is not None:
        wait = error.retry_after
    else:
        wait = 2.0 ** attempt if error.status == 429 else 0.5 * 2.0 ** (attempt - 1)
    return min(max(wait, 0.0), MAX_WAIT_S)


async def run_cells(cells: Iterable[Cell], run: Runner, record: Recorder, *,
                    concurrency: int = 4,
                    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
    """Run every cell, at most `concurrency` at once, retrying busy and failing answers;
    `record` gets each cell's final result as soon as it has one. Cancelling stops the sweep:
    the runs under way are recorded as stopped, with their text so far."""
    if concurrency < 1:
        raise InvalidParameter("concurrency", "concurrency: at least 1")
    gate = asyncio.Semaphore(concurrency)

    async def one(cell: Cell) -> None:
        async with gate:
            attempt = 1
            while True:
                result = RunResult()
                try:
                    await run(cell, result)
                except asyncio.CancelledError:
                    if not result.cancelled:
                        result.finish(cancelled=True)
                    record(cell, result)
                    raise
                wait = retry_wait(result.error, attempt) if result.error else None
                if wait is None:
                    break
                attempt += 1
                await sleep(wait)
        record(cell, result)

    async with asyncio.TaskGroup() as tasks:
        for cell in cells:
            tasks.create_task(one(cell))


def remaining(cells: Sequence[Cell], recorded: Iterable[tuple[str | None, str]]) -> list[Cell]:
    """The cells without a successful run among `recorded` (variant, status) pairs."""
    done = {variant for variant, status in recorded if status == "ok"}
    return [cell for cell in cells if cell.key not in done]


@dataclass(frozen=True)
class Layout:
    """How the plots lay a sweep out for one chosen variant: columns along `x_name`, one row
    (a heatmap row, a line) per name in `rows`, and the place each row and column shows.

    Two parameters: the first across, the second's values as rows (the chosen variant's). One
    parameter: its values across, one row per variant (or one row). No parameter: the variants
    across (or the one point), one row."""

    x_name: str
    x_labels: tuple[str, ...]
    rows: tuple[str, ...]  # "" for the only row
    places: tuple[tuple[Place, ...], ...]  # [row][column]
    #: for two parameters (a heatmap): the second's name and values, one per row
    y_name: str = ""
    y_labels: tuple[str, ...] = ()

    @property
    def is_grid(self) -> bool:
        return bool(self.y_name)

    @classmethod
    def of(cls, axes: Sequence[Axis], variants: Sequence[str],
           chosen: str | None = None) -> Layout:
        labels: list[str | None] = list(variants) or [None]
        if len(axes) > 1:
            first, second = axes[0], axes[1]
            pick = chosen if chosen in labels else labels[0]
            return cls(first.name, tuple(_show(v) for v in first.values),
                       tuple(f"{second.name}={_show(b)}" for b in second.values),
                       tuple(tuple((pick, (a, b)) for a in first.values)
                             for b in second.values),
                       second.name, tuple(_show(b) for b in second.values))
        if axes:
            first = axes[0]
            return cls(first.name, tuple(_show(v) for v in first.values),
                       tuple(label or "" for label in labels),
                       tuple(tuple((label, (a,)) for a in first.values) for label in labels))
        return cls("variant" if variants else "", tuple(label or "" for label in labels),
                   ("",), (tuple((label, ()) for label in labels),))


@dataclass
class SweepState:
    """One sweep under way or done in the window: its plan, its cells and what each ended with
    (the latest run of each), with each place's summary kept until one of its runs changes."""

    plan: SweepPlan
    cells: list[Cell]
    results: dict[str, tuple[Measures, str]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    cost: float = 0.0
    #: each place's summary, made again only when one of its runs changes
    summaries: dict[Place, CellSummary] = field(default_factory=dict)
    _by_place: dict[Place, list[Cell]] = field(default_factory=dict)

    def add(self, cell: Cell, measures: Measures, text: str) -> None:
        self.results[cell.key] = (measures, text)
        self.summaries.pop(cell.place, None)

    def summary(self, place: Place) -> CellSummary | None:
        if place not in self.summaries:
            found = self.place_results(place)
            if not found:
                return None
            self.summaries[place] = summarise(place[1], [(m, text) for _, m, text in found],
                                              place[0])
        return self.summaries[place]

    @property
    def group(self) -> str:
        return self.plan.group

    @property
    def axes(self) -> tuple[Axis, ...]:
        return self.plan.axes

    @property
    def variants(self) -> list[str]:
        return [variant.label for variant in self.plan.variants]

    def layout(self, chosen: str | None = None) -> Layout:
        return Layout.of(self.axes, self.variants, chosen)

    def place_results(self, place: Place) -> list[tuple[Cell, Measures, str]]:
        if not self._by_place:
            for cell in self.cells:
                self._by_place.setdefault(cell.place, []).append(cell)
        return [(cell, *self.results[cell.key]) for cell in self._by_place.get(place, [])
                if cell.key in self.results]

    @classmethod
    def from_history(cls, plan: SweepPlan, runs: Sequence[RunRecord],
                     measured: Mapping[int, Measures]) -> SweepState:
        """The sweep as history holds it: each cell's latest run, with its measures as they
        were kept beside the plan (or, for a run without them, as history gives them)."""
        state = cls(plan, plan.cells())
        by_key = {cell.key: cell for cell in state.cells}
        for run in runs:
            cell = by_key.get(run.variant or "")
            if cell is not None:
                state.add(cell, kept_measures(run, measured), run.output)
        return state

    def place_summaries(self) -> list[CellSummary]:
        """Every place that has a run, in grid order."""
        places = dict.fromkeys(cell.place for cell in self.cells)
        found = (self.summary(place) for place in places)
        return [summary for summary in found if summary is not None]

    def values(self, layout: Layout, key: str) -> tuple[npt.NDArray[np.float64],
                                                        npt.NDArray[np.float64]]:
        """Measure `key`'s mean and spread at each of `layout`'s places, rows by columns (NaN:
        no run yet; a spread of 0 for a single run)."""
        mean = np.full((len(layout.rows), len(layout.x_labels)), np.nan)
        spread = np.full_like(mean, np.nan)
        for r, row in enumerate(layout.places):
            for c, place in enumerate(row):
                summary = self.summary(place)
                if summary is not None:
                    value, deviation = summary.mean[key], summary.spread[key]
                    mean[r, c] = np.nan if value is None else value
                    spread[r, c] = 0.0 if deviation is None else deviation
        return mean, spread


# --- the plan, kept so a sweep can resume -----------------------------------------------------

@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep runs: resuming it needs only its group id."""

    group: str
    prompt: str
    model: str
    connection: str
    axes: tuple[Axis, ...]
    seeds: int
    params: Mapping[str, Any] = field(default_factory=dict)  # the base settings
    extra: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = 4
    #: For a server given by URL (not a saved connection): where it is and what it speaks.
    base_url: str | None = None
    dialect: str | None = None
    variants: tuple[Variant, ...] = ()

    def cells(self) -> list[Cell]:
        check_variants(self.variants, self.axes)
        return grid(self.axes, self.seeds, variants=[v.label for v in self.variants])

    def variant(self, label: str | None) -> Variant | None:
        return next((v for v in self.variants if v.label == label), None)

    def variant_base(self, label: str | None) -> tuple[str, dict[str, Any]]:
        """The model and parameters a variant (None: the sweep without variants) starts from:
        the base's, then the variant's own."""
        variant = self.variant(label)
        if variant is None:
            return self.model, dict(self.params)
        return variant.model or self.model, variant.merged(self.params)

    def settings(self, cell: Cell) -> tuple[str, dict[str, Any]]:
        """The model and parameters `cell` runs with: its variant's, then its grid values and
        seed."""
        model, base = self.variant_base(cell.variant)
        return model, {**base, **dict(cell.values), "seed": cell.seed}

    def request(self, cell: Cell, dialect: str) -> CompletionRequest:
        """`cell`'s request; `InvalidParameter` names the cell and the field."""
        model, params = self.settings(cell)
        try:
            return build_request(self.prompt, model, params, dialect=dialect,
                                 extra=self.extra)
        except InvalidParameter as exc:
            raise InvalidParameter(exc.field, f"{cell.key}: {exc.message}") from None

    def cost_bound(self, cells: Sequence[Cell], connection: str,
                   default_max_tokens: int | None = None) -> float | None:
        """The most `cells` can cost, from the connection's cached model list: each cell at its
        own model's prices and its own max_tokens, else `default_max_tokens` (the server's,
        `context_use.default_max_tokens`; None: some cell's are not known)."""
        counts: dict[tuple[str, Any], int] = {}
        for cell in cells:
            model, params = self.settings(cell)
            what = (model, params.get("max_tokens", default_max_tokens))
            counts[what] = counts.get(what, 0) + 1
        prompt_tokens = estimate_tokens(self.prompt)
        prices = listed_prices(connection)
        total = 0.0
        for (model, max_tokens), runs in counts.items():
            known = prices(model)
            bound = cost_bound(runs, prompt_tokens,
                               None if max_tokens is None else int(max_tokens),
                               *(known or (None, None)))
            if bound is None:
                return None
            total += bound
        return total

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "group": self.group, "prompt": self.prompt, "model": self.model,
                "connection": self.connection,
                "axes": [{"name": a.name, "values": list(a.values)} for a in self.axes],
                "seeds": self.seeds, "params": dict(self.params), "extra": dict(self.extra),
                "concurrency": self.concurrency, "base_url": self.base_url,
                "dialect": self.dialect,
                "variants": [{"label": v.label, "params": dict(v.params), "model": v.model,
                              "preset": v.preset} for v in self.variants]}

    @classmethod
    def from_json(cls, data: Any) -> SweepPlan:
        """Checked again (the catalog may have changed since); `InvalidParameter` names the
        first bad field."""
        if not isinstance(data, dict):
            raise InvalidParameter("sweep", "sweep: the plan is not a JSON object")
        try:
            axes = tuple(Axis(str(a["name"]), tuple(a["values"])) for a in data["axes"])
            for axis in axes:
                for value in axis.values:
                    validate_params({axis.name: value})
            plan = cls(group=str(data["group"]), prompt=str(data["prompt"]),
                       model=str(data["model"]), connection=str(data["connection"]),
                       axes=axes, seeds=int(data["seeds"]),
                       params=body_fields(validate_params(data.get("params", {}))),
                       extra=check_extra(data.get("extra", {})),
                       concurrency=int(data.get("concurrency", 4)),
                       base_url=_optional(data, "base_url"), dialect=_optional(data, "dialect"),
                       variants=tuple(_variant(v) for v in data.get("variants", [])))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidParameter("sweep", f"sweep: the plan is incomplete ({exc})") from None
        plan.cells()  # the grid's own limits
        return plan


def _variant(data: Mapping[str, Any]) -> Variant:
    params = dict(data.get("params", {}))
    validate_params({name: value for name, value in params.items() if value is not None})
    return Variant(str(data["label"]), params, _optional(data, "model"),
                   _optional(data, "preset"))


def _optional(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


class SweepPlans:
    """Plans in ``data_dir()/sweeps/``, one JSON file per sweep, written atomically."""

    def __init__(self) -> None:
        self.dir = data_dir() / "sweeps"

    def save(self, plan: SweepPlan) -> None:
        atomic_write_json(self.dir / f"{plan.group}.json", plan.to_json())

    def load(self, group: str) -> SweepPlan:
        if not is_sweep_group(group) or not group.replace("-", "").isalnum():
            raise InvalidParameter("resume", f"resume: {group!r} is not a sweep id "
                                   f"({GROUP_PREFIX}…)")
        path = self.dir / f"{group}.json"
        try:
            data = load_json(path)
        except CorruptFile as exc:
            raise InvalidParameter("resume", f"resume: {exc}") from None
        if data is None:
            raise InvalidParameter("resume", f"resume: no sweep {group} (its plan is not in "
                                   f"{self.dir})")
        return SweepPlan.from_json(data)


    def add_measures(self, group: str, run_id: int, measures: Measures) -> None:
        """Keep one run's measures beside the plan (history keeps no log probabilities): one
        JSON line, flushed at once."""
        path = self.dir / f"{group}.measures.jsonl"
        self.dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"run": run_id, **dataclasses.asdict(measures)})
        with path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())

    def measures(self, group: str) -> dict[int, Measures]:
        """Run id -> measures; a line cut short by a kill is skipped."""
        path = self.dir / f"{group}.measures.jsonl"
        out: dict[int, Measures] = {}
        if not path.exists():
            return out
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(line)
                run_id = int(data.pop("run"))
                out[run_id] = Measures(**data)
            except (ValueError, TypeError, KeyError):
                continue
        return out
