"""One start of a window, for run.py's start-up figure: prints ``PAINTED <monotonic>`` once the
window's first frame is painted, then exits at once.

    python tests/bench/startup_child.py app    # the real app: playground.cli.main([])
    python tests/bench/startup_child.py bare   # QApplication + an empty QMainWindow
    python tests/bench/startup_child.py frame  # the widgets of the app's first frame, no app code

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
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: As many as the app's menus have (playground/ui/actions.py's ACTIONS; not imported here, as
#: this floor runs no app code).
MENU_ACTIONS = 35


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
    from playground.cli.main import main
    from playground.ui.main_window import MainWindow

    _hook(MainWindow)
    return main([])


def _open(title: str, fill: Callable[[QMainWindow], None]) -> int:
    """Show a QMainWindow that `fill` has put widgets into, timed like the app's."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    class Window(QMainWindow):
        pass

    _hook(Window)
    application = QApplication(sys.argv[:1])
    window = Window()
    window.setWindowTitle(title)
    fill(window)
    window.resize(1200, 780)
    window.show()
    return application.exec()


def bare() -> int:
    return _open("bare", lambda window: None)


def frame() -> int:
    return _open("frame", _first_frame_widgets)


def _first_frame_widgets(window: QMainWindow) -> None:
    """The toolkit's own floor for the app's first frame: the same widgets (menus with as many
    actions and shortcuts, the top bar, a tab with its stacked page, prompt, banner and output,
    the status bar's labels), built with no app code (no settings, draft, theme, table of
    actions or stream view). PySide6 builds a Python type, and a
    Python enum for each of its enums, the first time a class is used: the splitter alone brings
    the 93 enums of the `Qt` namespace (~12 ms), and the scroll area's viewport the types of
    every QWidget subclass it might be (~9 ms)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import (
        QAbstractScrollArea,
        QComboBox,
        QHBoxLayout,
        QLabel,
        QLineEdit,
        QPlainTextEdit,
        QPushButton,
        QSplitter,
        QStackedWidget,
        QStatusBar,
        QTabWidget,
        QToolButton,
        QVBoxLayout,
        QWidget,
    )

    menus = [window.menuBar().addMenu(title) for title in ("&File", "&Tabs", "&Run", "&Help")]
    for i in range(MENU_ACTIONS):  # each with a shortcut that works anywhere in the window
        action = QAction(f"Action {i}", window)
        action.setShortcuts([QKeySequence(f"Ctrl+Shift+F{i % 12 + 1}")])
        action.setEnabled(False)
        menus[i % len(menus)].addAction(action)
        window.addAction(action)
    top = QWidget(window)
    bar = QHBoxLayout(top)
    for widget in (QLabel("&Connection", top), QComboBox(top), QLabel("&Model", top),
                   QLineEdit(top), QPushButton("Run", top), QPushButton("Stop", top)):
        bar.addWidget(widget)
    output = QAbstractScrollArea(window)
    output.viewport().setAutoFillBackground(True)
    output_box = QWidget(window)  # the output below a (hidden) banner for refusals
    output_layout = QVBoxLayout(output_box)
    banner = QLabel(output_box)
    banner.hide()
    output_layout.addWidget(banner)
    output_layout.addWidget(output, 1)
    editors = QSplitter(Qt.Orientation.Vertical, window)
    editors.addWidget(QPlainTextEdit(window))
    editors.addWidget(output_box)
    page = QStackedWidget(window)  # the two-pane page; the notebook's joins it when used
    page.addWidget(editors)
    tabs = QTabWidget(window)
    tabs.setDocumentMode(True)
    tabs.setTabsClosable(True)
    tabs.setCornerWidget(QToolButton(tabs))
    tabs.addTab(page, "Untitled")
    split = QSplitter(Qt.Orientation.Horizontal, window)
    split.addWidget(tabs)
    split.addWidget(QWidget(window))
    central = QWidget(window)
    layout = QVBoxLayout(central)
    layout.addWidget(top)
    layout.addWidget(split, 1)
    window.setCentralWidget(central)
    status = QStatusBar(window)
    status.addWidget(QLabel(window))  # the prompt's size
    status.addPermanentWidget(QLabel(window))  # the run's figures
    window.setStatusBar(status)
    status.showMessage("Loading…")


if __name__ == "__main__":
    sys.exit({"app": app, "bare": bare, "frame": frame}[sys.argv[1]]())
