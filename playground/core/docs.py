"""The README's generated tables: the parameters (from the catalog) and what each server
makes of the fields NanoGPT does not document (from the dialect table).

``python -m playground.core.docs README.md`` rewrites each table between its markers; a test
fails when the README and the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playground.core.catalog import CATALOG, ParamSpec
from playground.core.dialects import TABLE, Rule

START = "<!-- parameter-table:start (generated from playground/core/catalog.py) -->"
END = "<!-- parameter-table:end -->"
SERVER_START = "<!-- server-table:start (generated from playground/core/dialects.py) -->"
SERVER_END = "<!-- server-table:end -->"
#: The servers in the server table, as its columns are headed.
SERVERS = {"llama.cpp": "llama.cpp", "koboldcpp": "koboldcpp",
           "text-generation-webui": "text-generation-webui", "vllm": "vLLM",
           "ollama": "Ollama", "openai": "OpenAI", "llama-cpp-python": "llama-cpp-python"}


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


def _server_cell(name: str, rule: Rule) -> str:
    if not rule.supported:
        return "—"
    if rule.expand is not None:
        return "as " + ", ".join(f"`{key}`" for key in rule.expand(1.0, {}))
    wire = rule.name or name
    said = "same name" if wire == name else f"as `{wire}`"
    return said + (" (converted)" if rule.convert else "")


def server_table() -> str:
    """What each server gets for the catalog's fields beyond NanoGPT's API (NanoGPT: only with
    its connection's "send undocumented fields" on; the local engine: all of them)."""
    lines = ["| Field | " + " | ".join(SERVERS.values()) + " |",
             "|---|" + "---|" * len(SERVERS)]
    for spec in CATALOG:
        if spec.beyond_seed:
            cells = [_server_cell(spec.name, TABLE[spec.name][d]) for d in SERVERS]
            lines.append(f"| `{spec.name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _replace(text: str, start: str, end: str, table: str) -> str:
    head, found_start, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"the markers {start!r} and {end!r} are missing")
    return f"{head}{start}\n{table}\n{end}{tail}"


def render_into(text: str) -> str:
    """`text` with the blocks between the markers replaced by the current tables."""
    text = _replace(text, START, END, parameter_table())
    return _replace(text, SERVER_START, SERVER_END, server_table())


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
