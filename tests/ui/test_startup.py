"""The two-stage start: the frame is painted first, with the saved prompt, and `load()` builds
the rest without losing what was typed meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.core.draft import Draft, DraftStore
from playground.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
SAVED = Draft(prompt="Saved prompt", model="local/stdlib", params={"top_k": 7})


@pytest.fixture
def frame(qtbot) -> MainWindow:
    DraftStore().save(SAVED)
    win = MainWindow(deferred=True)
    qtbot.addWidget(win)
    win.show()
    return win


def test_the_frame_shows_the_saved_prompt_and_waits_to_run(frame) -> None:
    assert frame.prompt_edit.toPlainText() == "Saved prompt"
    assert not frame.loaded
    assert not frame.run_button.isEnabled()
    assert not frame.run_action.isEnabled()
    assert not frame.settings_action.isEnabled()


def test_typing_before_loading_is_kept(frame, qloop) -> None:
    frame.prompt_edit.setPlainText("Typed while loading")
    qloop.run_until_complete(frame.load())
    assert frame.loaded
    assert frame.prompt_edit.toPlainText() == "Typed while loading"
    assert frame.params.values() == {"top_k": 7}
    assert frame.model_picker.model_text() == "local/stdlib"
    assert frame.run_action.isEnabled()
    assert not frame.undo_action.isEnabled()
    qloop.run_until_complete(frame.shutdown())


def test_closing_before_loading_saves_the_prompt_and_keeps_the_rest(frame, qloop) -> None:
    frame.prompt_edit.setPlainText("Typed, then closed at once")
    frame.close()
    qloop.run_until_complete(frame.shutdown())
    saved, problem = DraftStore().load()
    assert problem is None
    assert saved == Draft(prompt="Typed, then closed at once", model="local/stdlib",
                          params={"top_k": 7})


FIRST_FRAME_PROBE = """
import json, os, sys
from playground.ui.main_window import MainWindow
def report(self):
    heavy = sorted(m for m in ("asyncio", "httpx", "pydantic", "qasync", "sqlite3")
                   if m in sys.modules)
    print(json.dumps({"prompt": self.prompt_edit.toPlainText(), "heavy": heavy}), flush=True)
    os._exit(0)
MainWindow._first_frame_painted = report
from playground.cli.main import main
main([])
"""


def test_the_first_frame_is_painted_before_the_heavy_modules_load(tmp_path) -> None:
    """What keeps the start fast (the benchmark measures how fast): nothing that imports
    pydantic, httpx or asyncio runs before the window's first frame."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLAYGROUND_HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", "from playground.core.draft import *; "
                    "DraftStore().save(Draft(prompt='From the last session'))"],
                   env=env, cwd=ROOT, check=True)
    done = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"prompt": "From the last session", "heavy": []}
