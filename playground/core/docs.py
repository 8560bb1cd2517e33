"""The README's parameter table, generated from the catalog.

``python -m playground.core.docs README.md`` rewrites the table between its markers; a test
fails when the README and the catalog disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playground.core.catalog import CATALOG, ParamSpec

START = "<!-- parameter-table:start (generated from playground/core/catalog.py) -->"
END = "<!-- parameter-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(spec: ParamSpec) -> str:
    off = "" if spec.neutral is None else f"`{_literal(spec.neutral)}`"
    return (f"| `{spec.name}` | {spec.group.value} | {_cell(spec.allowed())} | {off} | "
            f"{_cell(spec.description)} |")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parameter_table() -> str:
    lines = ["| Parameter | Group | Allowed | No effect at | Meaning |",
             "|---|---|---|---|---|", *(_row(spec) for spec in CATALOG)]
    return "\n".join(lines)


def render_into(text: str) -> str:
    """`text` with the block between the markers replaced by the current table."""
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError("the parameter-table markers are missing")
    return f"{head}{START}\n{parameter_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
