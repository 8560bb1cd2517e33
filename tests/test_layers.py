"""Imports point down only: nothing below ui/ imports Qt, and core imports no other layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "playground"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", ["core", "engine"])
def test_no_qt_below_ui(layer: str) -> None:
    for path in (PACKAGE / layer).rglob("*.py"):
        bad = {n for n in imports(path) if n.split(".")[0] in ("PySide6", "qasync", "shiboken6")
               or n.startswith("playground.ui")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_core_imports_no_other_layer() -> None:
    for path in (PACKAGE / "core").rglob("*.py"):
        bad = {n for n in imports(path)
               if n.startswith(("playground.ui", "playground.engine", "playground.cli"))}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_core_and_engine_load_without_qt() -> None:
    """Importing every core and engine module pulls in no Qt at all (checked at run time)."""
    modules = [".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
               for layer in ("core", "engine") for p in (PACKAGE / layer).rglob("*.py")
               if p.stem not in ("__init__", "__main__")]
    assert "playground.core.documents.store" in modules  # subpackages too
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules) +
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_subcommands_do_not_import_the_entry_point() -> None:
    """The entry point imports the subcommands (lazily); they take what they share, the exit
    codes, from their own module, so the two never import each other."""
    for path in (PACKAGE / "cli").glob("*.py"):
        if path.stem != "main":
            assert "playground.cli.main" not in imports(path), path.name


def test_the_window_does_not_import_the_engine() -> None:
    """The window starts the engine as a child process through core; it never loads it."""
    for path in (PACKAGE / "ui").rglob("*.py"):
        bad = {n for n in imports(path) if n.startswith("playground.engine")}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"
