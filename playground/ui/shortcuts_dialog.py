"""Help → Keyboard shortcuts: the window's shortcuts, as the platform writes them."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class ShortcutsDialog(QDialog):
    """A read-only table of (action, shortcut), given by the window that owns the shortcuts.

    Actions whose sequence is empty (a standard key this platform does not bind) are left out.
    """

    def __init__(self, shortcuts: list[tuple[str, QKeySequence]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        shortcuts = [(action, sequence) for action, sequence in shortcuts
                     if not sequence.isEmpty()]
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(shortcuts), 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for row, (action, sequence) in enumerate(shortcuts):
            self.table.setItem(row, 0, QTableWidgetItem(action))
            self.table.setItem(
                row, 1, QTableWidgetItem(sequence.toString(QKeySequence.SequenceFormat.NativeText)))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(close)
        self._fit_table()
        self.adjustSize()

    def _fit_table(self) -> None:
        """Make the table big enough for every row and the longest shortcut, so nothing is
        clipped or scrolled: the list is short and read at a glance."""
        table = self.table
        table.setWordWrap(False)
        table.resizeRowsToContents()
        frame = 2 * table.frameWidth()
        gap = 2 * table.fontMetrics().averageCharWidth()
        width = sum(table.sizeHintForColumn(c) + gap for c in range(2)) + frame
        height = (table.horizontalHeader().sizeHint().height() + frame
                  + sum(table.rowHeight(r) for r in range(table.rowCount())))
        table.setMinimumSize(max(width, 420), height)
