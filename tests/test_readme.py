"""The README is documentation that must not drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from playground.core.docs import render_into

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_parameter_table_matches_the_catalog() -> None:
    assert render_into(README) == README, (
        "README's parameter table is stale: run python -m playground.core.docs README.md")


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["sh packaging/bootstrap.sh app", "sh packaging/bootstrap.sh test"]
    assert "sh packaging/bootstrap.sh test" in (ROOT / ".ci" / "run").read_text()
