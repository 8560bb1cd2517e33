"""One start of a window, for run.py's start-up figure: prints ``PAINTED <monotonic>`` once the
window's first frame is painted, then exits at once.

    python tests/bench/startup_child.py app    # the real app: playground.cli.main([])
    python tests/bench/startup_child.py bare   # QApplication + an empty QMainWindow

"Painted" means: the main window received its first paint event, and the event loop then came
round once more (a zero timer), so the whole first frame, children included, was drawn. The
time is `time.monotonic()`, which run.py compares with its own reading taken just before it
started this process; so the figure covers interpreter start, imports, building the window and
the first frame. The app's local engine is started in the background by the app as usual
(a child process, spawned from a worker thread); it counts only as far as it delays the paint.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _report(window: object) -> None:
    engine = getattr(window, "engine", None)
    pid = getattr(engine, "pid", None)
    sys.stdout.write(f"PAINTED {time.monotonic()!r} ENGINE {pid}\n")
    sys.stdout.flush()
    os._exit(0)  # no shutdown: the engine child exits by itself when our end of its stdin closes


def _hook(cls: type) -> None:
    """Make `cls` report after its first paint event."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QPaintEvent

    base = cls.paintEvent  # type: ignore[attr-defined]
    seen = False

    def paintEvent(self: object, event: QPaintEvent) -> None:
        nonlocal seen
        if not seen:
            seen = True
            # Fires once the paint pass this event starts (children included) is over; posted
            # first, so that work the app defers to after its first frame is not counted.
            QTimer.singleShot(0, lambda: _report(self))
        base(self, event)

    cls.paintEvent = paintEvent  # type: ignore[attr-defined]


def app() -> int:
    from playground.cli import main
    from playground.ui.main_window import MainWindow

    _hook(MainWindow)
    return main([])


def bare() -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    class Window(QMainWindow):
        pass

    _hook(Window)
    application = QApplication(sys.argv[:1])
    window = Window()
    window.setWindowTitle("bare")
    window.resize(1200, 780)
    window.show()
    return application.exec()


if __name__ == "__main__":
    sys.exit({"app": app, "bare": bare}[sys.argv[1]]())
