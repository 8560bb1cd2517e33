from __future__ import annotations

import subprocess
import sys


def imported_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


def test_the_engine_launcher_is_light() -> None:
    modules = imported_after("import playground.core.engine_process")
    assert "playground.core.engine_process" in modules
    assert not {"numpy", "starlette", "uvicorn"} & modules
