"""A command's own local engine stops under it (killed with SIGKILL, as the OOM killer does):
the command says so plainly, keeps the text it had, and a comparison goes on on a new engine.
Real engine processes, really killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from playground.cli.exit_codes import EXIT_API, EXIT_OK
from playground.cli.main import main
from playground.core.engine_process import EngineProcess

LOST = "the local engine stopped (killed by signal 9)"


def engine_child(pid: int) -> int:
    """The local engine the command `pid` started: its child running ``playground.engine``."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # a process that has just ended
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"playground.engine" in command:
            children.append(int(entry.name))
    assert len(children) == 1, children
    return children[0]


def test_a_run_whose_engine_is_killed_mid_stream_says_so_and_keeps_its_text() -> None:
    command = [sys.executable, "-m", "playground", "run", "--prompt", "The function",
               "--set", "max_tokens=16384", "--set", "ignore_eos=true", "--set", "seed=3"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    first = os.read(process.stdout.fileno(), 65536)  # the completion has begun to stream
    assert first
    os.kill(engine_child(process.pid), signal.SIGKILL)
    rest, errors = process.communicate(timeout=120)
    stdout, stderr = (first + rest).decode(), errors.decode()
    assert process.returncode == EXIT_API
    assert f"playground: {LOST} after " in stderr and "characters, which are kept" in stderr
    assert "Network error" not in stderr and "Stream error" not in stderr
    assert stdout.startswith(first.decode()) and stdout.endswith("\n")
    listing = subprocess.run([sys.executable, "-m", "playground", "history", "list", "--json"],
                             capture_output=True, text=True, timeout=60, check=True)
    [run] = json.loads(listing.stdout)
    assert run["status"] == "error" and LOST in run["error"]["message"]
    assert run["output"] and stdout.rstrip("\n") == run["output"].rstrip("\n")


@pytest.fixture
def killed_after_start(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first engine a command starts is killed as soon as it listens, before any run
    reaches it; later ones live. Lists the killed engines' pids."""
    killed: list[int] = []
    start = EngineProcess.start

    def start_then_kill(engine: EngineProcess, timeout: float = 30.0) -> str:
        url = start(engine, timeout)
        if not killed:
            assert engine.pid is not None
            os.kill(engine.pid, signal.SIGKILL)
            os.waitid(os.P_PID, engine.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
            assert engine.exit_code == -signal.SIGKILL
            killed.append(engine.pid)
        return url

    monkeypatch.setattr(EngineProcess, "start", start_then_kill)
    return killed


def test_a_run_whose_engine_died_before_it_began_says_so(
        killed_after_start: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--prompt", "The function", "--set", "max_tokens=4"])
    stderr = capsys.readouterr().err
    assert killed_after_start and code == EXIT_API
    assert f"playground: {LOST} before it answered" in stderr
    assert "Network error" not in stderr


def test_a_comparison_starts_the_engine_again_for_the_runs_it_lost(
        killed_after_start: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "--prompt", "The function", "--set", "max_tokens=6",
                 "--seeds", "2", "--json"])
    out = capsys.readouterr()
    assert killed_after_start and code == EXIT_OK, out.err
    assert f"playground: {LOST}; starting it again for seed=1, seed=2" in out.err
    results = json.loads(out.out)
    assert [r["error"] for r in results] == [None, None]
    assert all(r["text"] for r in results)
