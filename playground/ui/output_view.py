"""The streaming output pane: appends text at the end, never re-setting the document."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget


class OutputView(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAccessibleName("output")
        self.setPlaceholderText("The completion streams in here.")
        self.setUndoRedoEnabled(False)

    def append_text(self, text: str) -> None:
        """Append at the end; keep following the end only if the view was already there."""
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_end:
            bar.setValue(bar.maximum())

    def text(self) -> str:
        return self.toPlainText()
