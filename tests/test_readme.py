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


def _subcommands(parser, prefix=()):
    """(command words, parser) for every subcommand, depth first."""
    import argparse
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*prefix, name), sub, helps.get(name)
                yield from _subcommands(sub, (*prefix, name))


def test_every_subcommand_is_documented_in_help_and_readme() -> None:
    from playground.cli.main import build_parser

    commands = list(_subcommands(build_parser()))
    assert len(commands) >= 15
    for words, parser, summary in commands:
        name = " ".join(words)
        assert summary, f"'playground {name}' has no one-line help"
        for action in parser._actions:
            if action.dest not in ("help",) and action.help != "==SUPPRESS==":
                assert action.help or action.choices, f"{name}: {action.dest} has no help"
        top = words[0]
        assert f"playground {top}" in README, f"README never shows 'playground {top}'"


def test_readme_flags_exist() -> None:
    """Every --flag the README's command examples use is one the CLI knows."""
    from playground.cli.main import build_parser

    known = {option for _, parser, _ in _subcommands(build_parser())
             for action in parser._actions for option in action.option_strings}
    known |= {o for a in build_parser()._actions for o in a.option_strings}
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", "\n".join(blocks)))
    assert used - known == set()
