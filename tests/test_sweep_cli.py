"""``playground sweep`` end to end: a busy server, a kill -9 and a resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.fault_server import FaultServer
from tests.test_cli import cli


def group_runs(home: Path, group: str) -> list[tuple[str, str | None, int]]:
    """(cell, error, cancelled) of every recorded run of the sweep."""
    with sqlite3.connect(home / "data" / "history.sqlite3") as db:
        return db.execute("SELECT variant, error, cancelled FROM runs WHERE group_id = ? "
                          "ORDER BY id", (group,)).fetchall()


def sweep_id(stderr: str) -> str:
    return next(word for word in stderr.split() if word.startswith("swp-")).rstrip(":")


def test_a_busy_server_is_retried_and_what_keeps_failing_is_resumed_alone(
        fault_server: FaultServer, playground_home: Path, tmp_path: Path) -> None:
    seen = len(fault_server.requests)
    out = cli("sweep", "--prompt", "busy", "--model", "m", "--base-url",
              fault_server.url("flaky"), "--grid", "top_k=1,2", "--seeds", "8",
              "--concurrency", "4", "--json", "--quiet", "--csv", str(tmp_path / "runs.csv"))
    assert out.returncode == 1, out.stderr  # seed 7 keeps failing
    group = sweep_id(out.stderr)
    summary = {s["point"]["top_k"]: s for s in json.loads(out.stdout)}
    assert {k: (s["runs"], s["failed"]) for k, s in summary.items()} == {1: (8, 1), 2: (8, 1)}
    runs = group_runs(playground_home, group)
    assert len(runs) == 16 and len({cell for cell, _, _ in runs}) == 16
    assert {cell for cell, error, _ in runs if error} == {"top_k=1,seed=7", "top_k=2,seed=7"}
    tried = [r for r in fault_server.requests[seen:] if r.path.endswith("/completions")]
    assert len(tried) == 2 * (1 + 2 * 6 + 4)  # per value: seed 1 once, six retried once, 7 x4
    assert (tmp_path / "runs.csv").read_text().count("\n") == 17

    seen = len(fault_server.requests)
    again = cli("sweep", "--resume", group, "--quiet")
    assert again.returncode == 1
    assert "16 runs, 14 done, 2 to run" in again.stderr
    tried = [r for r in fault_server.requests[seen:] if r.path.endswith("/completions")]
    assert {json.loads(r.body)["seed"] for r in tried} == {7}


def test_a_sweep_killed_mid_run_resumes_with_only_the_missing_cells(
        playground_home: Path) -> None:
    args = [sys.executable, "-m", "playground", "sweep", "--prompt", "The function returns",
            "--grid", "top_k=0,40", "--seeds", "6", "--concurrency", "1", "--quiet",
            "--set", "max_tokens=400", "--set", "ignore_eos=true", "--set", "logprobs=true"]
    process = subprocess.Popen(args, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PLAYGROUND_HOME": str(playground_home)})
    assert process.stderr is not None
    group = sweep_id(process.stderr.readline())
    deadline = time.monotonic() + 60
    while len(group_runs(playground_home, group)) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    before = group_runs(playground_home, group)
    assert 3 <= len(before) < 12 and all(error is None for _, error, _ in before)

    out = cli("sweep", "--resume", group, "--json", "--quiet")
    assert out.returncode == 0, out.stderr
    after = group_runs(playground_home, group)
    assert after[:len(before)] == before  # nothing recorded was touched
    cells = [cell for cell, _, _ in after]
    assert len(cells) == len(set(cells)) == 12  # each cell ran once: only the missing ones
    assert f"12 runs, {len(before)} done, {12 - len(before)} to run" in out.stderr
    summaries = json.loads(out.stdout)
    assert [s["runs"] for s in summaries] == [6, 6]
    # log probabilities came back: each point has a perplexity, also for the runs made
    # before the kill (kept beside the plan, as history keeps no log probabilities)
    assert all(s["mean"]["perplexity"] > 1 for s in summaries)


def test_compare_takes_a_sweep_over_seeds(fault_server: FaultServer) -> None:
    out = cli("compare", "--prompt", "hi", "--model", "m", "--base-url",
              fault_server.url("ok"), "--sweep", "temperature=0.2,0.9", "--seeds", "2",
              "--json")
    assert out.returncode == 0, out.stderr
    columns = [(c["variant"], c["settings"]) for c in json.loads(out.stdout)]
    assert columns == [("temperature=0.2,seed=1", {"temperature": 0.2, "seed": 1}),
                       ("temperature=0.2,seed=2", {"temperature": 0.2, "seed": 2}),
                       ("temperature=0.9,seed=1", {"temperature": 0.9, "seed": 1}),
                       ("temperature=0.9,seed=2", {"temperature": 0.9, "seed": 2})]


def test_variants_run_the_grid_each_on_their_own_model_priced_apiece(
        fault_server: FaultServer, playground_home: Path) -> None:
    from playground.core.client import ModelInfo
    from playground.core.paths import cache_dir
    from playground.core.storage import atomic_write_json

    atomic_write_json(cache_dir() / "models" / "custom.json", [
        ModelInfo("cheap/a", prompt_price=1.0, completion_price=1.0).to_json(),
        ModelInfo("dear/b", prompt_price=1000.0, completion_price=3000.0).to_json()])
    args = ["sweep", "--prompt", "hi", "--model", "cheap/a", "--base-url",
            fault_server.url("ok"), "--grid", "top_k=1,2", "--seeds", "2",
            "--variant", "model=cheap/a", "--variant", "model=dear/b,top_p=0.5",
            "--set", "max_tokens=100", "--json", "--quiet"]
    # 4 runs at $1 + 100 x $1 per million, 4 at $1000 + 100 x $3000: $1.2044 in all
    refused = cli(*args)
    assert refused.returncode != 0 and "sweep: at most $1.2044 for 8 runs" in refused.stderr
    assert "pass --yes to start it" in refused.stderr
    seen = len(fault_server.requests)
    out = cli(*args, "--ask-above", "2")
    assert out.returncode == 0, out.stderr
    sent = [json.loads(r.body) for r in fault_server.requests[seen:]
            if r.path.endswith("/completions")]
    assert sorted((b["model"], b["top_k"], b["seed"], b.get("top_p")) for b in sent) == sorted(
        (model, k, s, top_p) for model, top_p in (("cheap/a", None), ("dear/b", 0.5))
        for k in (1, 2) for s in (1, 2))
    summary = json.loads(out.stdout)
    assert [(s["variant"], s["point"]["top_k"], s["runs"]) for s in summary] == [
        ("model=cheap/a", 1, 2), ("model=cheap/a", 2, 2), ("model=dear/b,top_p=0.5", 1, 2),
        ("model=dear/b,top_p=0.5", 2, 2)]
    table = cli("sweep", "--resume", sweep_id(out.stderr), "--quiet")  # nothing left to run
    assert "8 runs, 8 done, 0 to run" in table.stderr
    assert table.stdout.split()[:2] == ["variant", "top_k"]
