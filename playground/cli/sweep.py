"""``playground sweep``: a grid of up to two parameters × seeds (× 2–4 variants), measured
per cell.

Every run goes into history the moment it ends, in the sweep's group; the plan is saved first
(`core.sweep.SweepPlans`), so ``--resume GROUP`` after a stop, a crash or a kill runs only the
cells without a successful run. Progress goes to stderr, the summary to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playground.cli.arguments import add_connection_args, add_set_json, connection_from_args
from playground.cli.exit_codes import EXIT_API, EXIT_OK
from playground.cli.launch import api_key_for, insecure_key_allowed, server_for
from playground.core.assignments import parse_assignments, parse_json_assignments
from playground.core.catalog import body_fields, validate_params
from playground.core.client import CompletionClient
from playground.core.compare import parse_variant
from playground.core.connections import Connection, ConnectionStore, adhoc
from playground.core.context_use import default_max_tokens
from playground.core.errors import InvalidParameter
from playground.core.history import History, RunRecord
from playground.core.presets import PresetStore
from playground.core.request import CompletionRequest
from playground.core.runs import RunResult, execute
from playground.core.sweep import (
    NUMERIC,
    Cell,
    CellSummary,
    Measures,
    SweepPlan,
    SweepPlans,
    SweepState,
    kept_measures,
    new_sweep_id,
    parse_axis,
    remaining,
    run_cells,
)

#: Above this bound (USD) a sweep asks before it starts, unless --yes (or --ask-above).
CONFIRM_ABOVE = 0.50


def register(sub: Any) -> None:
    sweep = sub.add_parser(
        "sweep", help="run a grid of settings × seeds and measure each cell",
        description="Run one prompt over a grid of up to two parameters, each point over N "
                    "seeds (and, with --variant, for 2 to 4 variants such as two models), "
                    "with a concurrency limit; measure every run and summarise each point. "
                    "Every run is kept in history as it ends, so --resume continues a "
                    "stopped sweep with only the runs it lacks.")
    sweep.add_argument("--prompt", help="the prompt; '-' reads stdin (not with --resume)")
    sweep.add_argument("--model", help="model id (default: the connection's)")
    sweep.add_argument("--grid", action="append", default=[],
                       metavar="NAME=START:STOP:STEP|NAME=V1,V2,...",
                       help="a parameter to sweep, e.g. temperature=0.2:1.4:0.2 or "
                            "min_p=0,0.05,0.1 (at most two)")
    sweep.add_argument("--variant", action="append", default=[], metavar="SPEC",
                       help="run the whole grid again with these changes, e.g. model=ID, "
                            "preset=NAME or top_k=40,top_p=0.9 (2 to 4 of them)")
    sweep.add_argument("--seeds", type=int, default=1, metavar="N",
                       help="runs per grid point, with seeds 1..N (default 1)")
    sweep.add_argument("--concurrency", type=int, metavar="K",
                       help="runs at once (default: the connection's, else 4; see "
                            "playground connections set NAME --concurrency K)")
    sweep.add_argument("--set", dest="assignments", action="append", default=[],
                       metavar="NAME=VALUE", help="a setting every run shares")
    add_set_json(sweep)
    add_connection_args(sweep)
    sweep.add_argument("--resume", metavar="GROUP",
                       help="continue a sweep: run only the cells it has no good run for")
    sweep.add_argument("--yes", action="store_true",
                       help="start without asking, whatever the cost bound")
    sweep.add_argument("--ask-above", type=float, default=CONFIRM_ABOVE, metavar="USD",
                       help="ask before a sweep that may cost more than this "
                            f"(default {CONFIRM_ABOVE:.2f})")
    sweep.add_argument("--csv", metavar="PATH", help="write every run as a CSV row")
    sweep.add_argument("--jsonl", metavar="PATH", help="write every run as a JSON line")
    sweep.add_argument("--json", action="store_true",
                       help="print the per-point summary as JSON instead of a table")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.set_defaults(func=_cmd_sweep)


def _plan(args: argparse.Namespace) -> tuple[SweepPlan, Connection]:
    if args.resume:
        if args.grid or args.variant or args.prompt is not None:
            raise InvalidParameter("resume", "resume: the sweep's plan is saved; give only "
                                   "--resume GROUP (and --concurrency)")
        plan = SweepPlans().load(args.resume)
        if plan.base_url is not None:
            return plan, adhoc(plan.base_url, plan.dialect or "nanogpt")
        return plan, ConnectionStore().get(plan.connection)
    if args.prompt is None:
        raise InvalidParameter("prompt", "prompt: give --prompt (or --resume GROUP)")
    axes = tuple(parse_axis(text) for text in args.grid)
    presets = PresetStore()
    variants = tuple(parse_variant(text, lambda name: presets.get(name).param_values())
                     for text in args.variant)
    if not axes and not variants and args.seeds < 2:
        raise InvalidParameter("grid", "grid: give --grid NAME=VALUES (or --variant, or "
                               "--seeds 2 or more)")
    connection = connection_from_args(args)
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    params = body_fields(validate_params(parse_assignments(args.assignments)))
    model = args.model or connection.model
    if not model:
        raise InvalidParameter("model", "model: this connection has no default model; "
                                        "pass --model")
    plan = SweepPlan(group=new_sweep_id(), prompt=prompt, model=model,
                     connection=connection.name, axes=axes, seeds=args.seeds, params=params,
                     extra=parse_json_assignments(args.extra),
                     concurrency=args.concurrency or connection.concurrency or 4,
                     base_url=connection.base_url if args.base_url else None,
                     dialect=connection.dialect if args.base_url else None,
                     variants=variants)
    plan.cells()  # its limits, before anything is saved
    return plan, connection


def _cmd_sweep(args: argparse.Namespace) -> int:
    plan, connection = _plan(args)
    cells = plan.cells()
    with History() as history:
        done = [(run.variant, run.status) for run in history.group(plan.group)]
    todo = remaining(cells, done)
    requests = {cell.key: plan.request(cell, connection.speaks) for cell in todo}
    if not _cost_agreed(plan, connection, todo, args):
        return EXIT_OK
    if not args.resume:
        SweepPlans().save(plan)
    print(f"sweep {plan.group}: {len(cells)} runs, {len(cells) - len(todo)} done, "
          f"{len(todo)} to run (resume with --resume {plan.group})", file=sys.stderr)
    if todo:
        _run(plan, connection, todo, requests, args)
    with History() as history:
        runs = history.group(plan.group)
    measured = SweepPlans().measures(plan.group)
    measures = {run.id: kept_measures(run, measured) for run in runs}
    _write_files(args, plan, runs, measures)
    summaries = SweepState.from_history(plan, runs, measured).place_summaries()
    if args.json:
        print(json.dumps([_summary_json(plan, s) for s in summaries], indent=2))
    else:
        _print_table(plan, summaries)
    return EXIT_API if any(s.failed for s in summaries) else EXIT_OK


def _cost_agreed(plan: SweepPlan, connection: Connection, todo: Sequence[Cell],
                 args: argparse.Namespace) -> bool:
    bound = plan.cost_bound(todo, connection.name, default_max_tokens(connection))
    if bound is None:
        return True
    print(f"sweep: at most ${bound:.4f} for {len(todo)} runs", file=sys.stderr)
    if bound <= args.ask_above or args.yes:
        return True
    if not sys.stdin.isatty():
        raise InvalidParameter("yes", f"yes: the sweep may cost up to ${bound:.2f}; pass "
                               "--yes to start it")
    return input(f"Start it (up to ${bound:.2f})? [y/N] ").strip().lower() in ("y", "yes")


def _run(plan: SweepPlan, connection: Connection, todo: Sequence[Cell],
         requests: dict[str, CompletionRequest], args: argparse.Namespace) -> None:
    from tqdm import tqdm

    api_key = api_key_for(connection, args.allow_insecure_key)
    insecure_ok = insecure_key_allowed(connection, args.allow_insecure_key)
    concurrency = args.concurrency or plan.concurrency
    total = len(plan.cells())
    with History() as history, server_for(connection) as server, tqdm(
            total=total, initial=total - len(todo), unit="run", file=sys.stderr,
            disable=args.quiet) as bar:

        plans = SweepPlans()

        def record(cell: Cell, result: RunResult) -> None:
            run_id = history.record(requests[cell.key], result, connection=connection.name,
                                    group=plan.group, variant=cell.key)
            plans.add_measures(plan.group, run_id, Measures.of(result))
            bar.update(1)

        async def main() -> None:
            async with CompletionClient(server.base_url, api_key,
                                        allow_insecure_key=insecure_ok) as client:
                async def run(cell: Cell, result: RunResult) -> None:
                    await execute(client, requests[cell.key], result=result)

                await run_cells(todo, run, record, concurrency=concurrency)

        asyncio.run(main())


def _summary_json(plan: SweepPlan, summary: CellSummary) -> dict[str, Any]:
    return {**({"variant": summary.variant} if plan.variants else {}),
            "point": {a.name: v for a, v in zip(plan.axes, summary.point, strict=True)},
            "runs": summary.runs, "failed": summary.failed, "mean": summary.mean,
            "spread": summary.spread, "diversity": summary.diversity}


def _print_table(plan: SweepPlan, summaries: Sequence[CellSummary]) -> None:
    named = ["variant"] if plan.variants else []
    heads = named + [a.name for a in plan.axes] + ["runs", "failed", "tokens", "tok/s",
                                                   "distinct-2", "repetition", "diversity"]
    rows = [[*([s.variant or ""] if named else []), *(str(v) for v in s.point), str(s.runs),
             str(s.failed),
             _pm(s, "tokens", 1), _pm(s, "tokens_per_s", 0), _pm(s, "distinct_2", 3),
             _pm(s, "repetition", 3),
             "-" if s.diversity is None else f"{s.diversity:.3f}"] for s in summaries]
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(len(heads))]
    for row in [heads, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def _pm(summary: CellSummary, name: str, places: int) -> str:
    mean, spread = summary.mean[name], summary.spread[name]
    if mean is None:
        return "-"
    return f"{mean:.{places}f}" + ("" if spread is None else f"±{spread:.{places}f}")


def _write_files(args: argparse.Namespace, plan: SweepPlan, runs: Sequence[RunRecord],
                 measures: dict[int, Measures]) -> None:
    cells = {cell.key: cell for cell in plan.cells()}
    rows = [_run_row(plan, run, cells.get(run.variant or ""), measures[run.id]) for run in runs]
    if args.csv:
        with Path(args.csv).open("w", newline="", encoding="utf-8") as out:
            fields = list(rows[0]) if rows else ["cell"]
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    if args.jsonl:
        with Path(args.jsonl).open("w", encoding="utf-8") as out:
            for run, row in zip(runs, rows, strict=True):
                out.write(json.dumps({**row, "text": run.output}, ensure_ascii=False) + "\n")


def _run_row(plan: SweepPlan, run: RunRecord, cell: Cell | None,
             measures: Measures) -> dict[str, Any]:
    return {"cell": run.variant, "run_id": run.id,
            **({"variant": cell.variant if cell else None, "model": run.model}
               if plan.variants else {}),
            **{a.name: run.request.get(a.name) for a in plan.axes},
            "seed": run.request.get("seed"), "status": run.status,
            "finish_reason": measures.finish_reason,
            **{name: getattr(measures, name) for name in NUMERIC}, "error": measures.error}
