"""Writers that the crash-safety tests kill with SIGKILL at a random moment.

Each writer reports what it has committed by appending a line to a log file with one
``os.write`` after the write returned: after the kill, the log holds every write that was
reported committed (the kernel keeps what was written; only the process dies).

The preset and history writers run in processes forked from a multiprocessing forkserver that
preloaded this module, so that a trial starts in milliseconds instead of paying for imports.
The window writer runs as ``python -m tests.hardening.crash_child window TEXT`` (a real
QApplication, offscreen).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from playground.core.presets import Preset, PresetStore
from playground.core.request import build_request
from playground.core.runs import RunResult

#: Preset names the writer cycles through (it replaces each one again and again).
PRESET_NAMES = tuple(f"Crash {n}" for n in range(7))


def preset_version(i: int) -> Preset:
    """The i-th write: preset ``PRESET_NAMES[i % 7]``, growing with i (a description up to
    ~1000 characters and more stop strings), its number in the description."""
    stops = [f"stop{j}" * (1 + i % 5) for j in range(1 + i % 4)]
    return Preset.create(PRESET_NAMES[i % len(PRESET_NAMES)],
                         {"temperature": round((i % 200) / 100, 2), "seed": i, "stop": stops},
                         description=f"v{i} " + "x" * (i * 37 % 900))


def version_of(preset: Preset) -> int:
    return int(preset.description.split(" ", 1)[0].removeprefix("v"))


def write_presets(root: str, log: str, start: int) -> None:
    """Save versions start, start+1, ... of the presets under `root` until killed."""
    store = PresetStore(Path(root))
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    i = start
    while True:
        store.save(preset_version(i), replace_existing=True)
        os.write(fd, f"{i}\n".encode())
        i += 1


def write_history(path: str, log: str) -> None:
    """Record runs into the history at `path` until killed; log each id once committed."""
    from playground.core.history import History

    history = History(Path(path))
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    n = 0
    while True:
        request = build_request(f"prompt {n} " + "p" * (n % 300), "m", {"temperature": 0.5})
        result = RunResult(text=f"output {n} " + "o" * (n * 7 % 500))
        result.finish()
        run_id = history.record(request, result, connection="crash")
        os.write(fd, f"{run_id}\n".encode())
        n += 1


def type_in_window(text: str, delay_s: float) -> None:
    """Open the real window offscreen, type `text` into the prompt a key at a time (each key
    `delay_s` apart), printing how many characters are typed after each, then idle."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from playground.ui.app import use_settings_home
    from playground.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    use_settings_home()
    window = MainWindow()
    window.show()
    typed = 0

    def key() -> None:
        nonlocal typed
        if typed == len(text):
            timer.stop()
            return
        QTest.keyClicks(window.prompt_edit, text[typed])
        typed += 1
        print(f"{typed} {time.monotonic():.4f}", flush=True)

    timer = QTimer()
    timer.setInterval(round(delay_s * 1000))
    timer.timeout.connect(key)
    timer.start()
    print("ready", flush=True)
    app.exec()


#: Tabs the tab writer keeps open, and what it types (each key one of these).
TABS = 5
KEYS = "abcdefghij klmnopqrstuvwxyz.,\n"


def type_in_tabs(seed: int, delay_s: float) -> None:
    """Open the real window offscreen with its tabs of last time (opening new ones until there
    are `TABS`), print ``ready`` and each tab's document id with its text, then type into a
    random tab a key at a time (`delay_s` apart, now and then bringing another tab forward),
    printing ``KEY_ORD DOC_ID TIME`` after each key, until killed."""
    import random

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from playground.ui.app import use_settings_home
    from playground.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    use_settings_home()
    window = MainWindow()
    window.show()
    while window.tabs.count() < TABS:
        window.new_tab()
    window.save_draft()
    for view in window.tabs.views():
        assert view.document is not None
        print(f"doc {view.document.id} {view.text_edit.toPlainText()!r}", flush=True)
    print("ready", flush=True)
    rng = random.Random(seed)

    def key() -> None:
        if rng.random() < 0.02:
            window.tabs.setCurrentIndex(rng.randrange(window.tabs.count()))
        editor = window.prompt_edit
        editor.moveCursor(editor.textCursor().MoveOperation.End)
        char = rng.choice(KEYS)
        if char == "\n":
            QTest.keyClick(editor, Qt.Key.Key_Return)
        else:
            QTest.keyClicks(editor, char)
        assert window.document is not None
        print(f"{ord(char)} {window.document.id} {time.monotonic():.4f}", flush=True)

    timer = QTimer()
    timer.setInterval(round(delay_s * 1000))
    timer.timeout.connect(key)
    timer.start()
    app.exec()


if __name__ == "__main__":
    if sys.argv[1] == "window":
        type_in_window(sys.argv[2], float(sys.argv[3]))
    elif sys.argv[1] == "tabs":
        type_in_tabs(int(sys.argv[2]), float(sys.argv[3]))
