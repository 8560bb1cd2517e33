"""A reader that closes stdout early (``playground … | head``) ends any command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.core.client import StreamEvent
from playground.core.history import History
from playground.core.request import build_request
from playground.core.runs import RunResult

# The installed console script, the entry point a shell runs.
PLAYGROUND = Path(sys.executable).with_name("playground")
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `… | head`


def _fill_history(runs: int) -> None:
    with History() as history:
        for number in range(runs):
            result = RunResult()
            result.add(StreamEvent(text=f"output {number} " * 20, finish_reason="stop"))
            history.record(build_request(f"prompt {number} " * 20, "local/stdlib", {}), result,
                           connection="local")


def _run_closed_early(args: list[str], stdin: Path | None = None, *,
                      read_first_line: bool) -> tuple[int, str]:
    """Run the command with stdout a pipe the reader closes after at most one line."""
    with open(stdin or os.devnull, "rb") as source:
        process = subprocess.Popen([str(PLAYGROUND), *args], stdin=source,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        if read_first_line:
            assert process.stdout.readline()  # like `head -1`
        process.stdout.close()
        stderr = process.stderr.read().decode()
        return process.wait(timeout=60), stderr


def test_history_list_into_a_closed_pipe_ends_quietly() -> None:
    _fill_history(300)  # far more than a pipe's buffer holds
    code, stderr = _run_closed_early(["history", "list", "--json", "--limit", "300"],
                                     read_first_line=True)
    assert stderr == ""
    assert code == EXIT_BROKEN_PIPE


def test_a_large_dry_run_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("word " * 100_000)
    code, stderr = _run_closed_early(["run", "--prompt", "-", "--dry-run"], prompt,
                                     read_first_line=True)
    assert stderr == ""
    assert code == EXIT_BROKEN_PIPE


@pytest.mark.parametrize("args", [["presets", "list"], ["engine", "list"]])
def test_short_output_buffered_until_exit_ends_quietly(args: list[str]) -> None:
    """Output small enough to sit in the buffer fails only at the final flush."""
    code, stderr = _run_closed_early(args, read_first_line=False)
    assert stderr == ""
    assert code == EXIT_BROKEN_PIPE
