"""What the hardening suites share: the CLI as a subprocess, a Qt heartbeat, the window's
error text as a person reads it."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextDocumentFragment

T = TypeVar("T")


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "playground", *args]


@dataclass
class Cli:
    """`playground ...` started in the background, its output going to files."""

    proc: subprocess.Popen[bytes]
    out_path: Path
    err_path: Path
    _files: tuple[IO[bytes], IO[bytes]]

    @classmethod
    def start(cls, folder: Path, *args: str, env: Mapping[str, str] | None = None) -> Cli:
        folder.mkdir(parents=True, exist_ok=True)
        out_path, err_path = folder / "stdout", folder / "stderr"
        out, err = out_path.open("wb"), err_path.open("wb")
        proc = subprocess.Popen(cli_command(*args), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, env={**os.environ, **(env or {})})
        return cls(proc, out_path, err_path, (out, err))

    def wait(self, timeout: float = 60) -> tuple[int, str, str]:
        """(exit code, stdout, stderr)."""
        try:
            code = self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for handle in self._files:
                handle.close()
        return (code, self.out_path.read_text("utf-8"), self.err_path.read_text("utf-8"))


@dataclass
class Heartbeat:
    """A 5 ms Qt timer; `max_gap_ms` is the longest the event loop went without serving it."""

    interval_ms: int = 5
    beats: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._timer = QTimer()
        self._timer.setInterval(self.interval_ms)
        self._timer.timeout.connect(lambda: self.beats.append(time.perf_counter()))

    def start(self) -> None:
        self.beats = [time.perf_counter()]
        self._timer.start()

    def stop(self) -> None:
        """Stop and free the timer here, in the GUI thread (left to the garbage collector,
        it could be destroyed in whichever thread collects: Qt warns, and may crash)."""
        self._timer.stop()
        self.beats.append(time.perf_counter())
        self._timer.timeout.disconnect()
        del self._timer

    @property
    def max_gap_ms(self) -> float:
        return max((b - a) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False))


def plain(rich_text: str) -> str:
    """A label's rich text as the person reads it."""
    return QTextDocumentFragment.fromHtml(rich_text).toPlainText()


def open_dialog(parent: Any, kind: type[T]) -> T:
    """The one visible dialog of `kind` under `parent` (closed ones are deleted first)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    found = [d for d in parent.findChildren(kind) if d.isVisible()]
    assert len(found) == 1, found
    return found[0]


def needles(secret: str) -> list[bytes]:
    """How a secret could sit in a file: as UTF-8, UTF-16 (Qt's own strings), base64, or its
    distinctive middle on its own (a shortened "sk-nano-1234…" preview)."""
    middle = secret[len(secret) // 3: 2 * len(secret) // 3]
    return [secret.encode(), secret.encode("utf-16-le"), base64.b64encode(secret.encode()),
            middle.encode()]


def files_holding(secret: str, *roots: Path) -> list[Path]:
    """Every file under `roots` whose bytes hold `secret` in any of its forms."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(needle in data for needle in needles(secret)):
                    found.append(path)
    return found


def rendered_texts(root: Any) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of text a window or dialog can show: each widget's
    text, tooltip, placeholder, title, plain text, combo items, table cells and actions."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QComboBox, QTableWidget, QTabWidget, QWidget

    getters = ("text", "displayText", "toolTip", "placeholderText", "toPlainText",
               "windowTitle", "statusTip", "whatsThis", "accessibleName",
               "accessibleDescription", "currentText", "title", "textValue", "labelText",
               "informativeText", "detailedText", "suffix", "prefix", "specialValueText")
    for widget in [root, *root.findChildren(QWidget), *root.findChildren(QAction)]:
        name = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        for getter in getters:
            method = getattr(widget, getter, None)
            if not callable(method):
                continue
            try:
                value = method()
            except TypeError:  # this class's method of that name takes arguments
                continue
            if isinstance(value, str) and value:
                yield f"{name}.{getter}()", value
        if isinstance(widget, QComboBox):
            for i in range(widget.count()):
                yield f"{name} item {i}", f"{widget.itemText(i)} {widget.itemData(i)}"
        if isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                yield f"{name} tab {i}", f"{widget.tabText(i)} {widget.tabToolTip(i)}"
        if isinstance(widget, QTableWidget):
            for row in range(widget.rowCount()):
                for column in range(widget.columnCount()):
                    item = widget.item(row, column)
                    if item is not None:
                        yield f"{name} cell {row},{column}", f"{item.text()} {item.toolTip()}"
