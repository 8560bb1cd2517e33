from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence

from playground.ui.shortcuts_dialog import ShortcutsDialog

pytestmark = pytest.mark.gui


def test_shortcuts_dialog_lists_native_text(qtbot) -> None:
    shortcuts = [("Run", QKeySequence("Ctrl+Return")), ("Stop", QKeySequence("Esc"))]
    dialog = ShortcutsDialog([*shortcuts, ("Unbound here", QKeySequence())])
    qtbot.addWidget(dialog)
    rows = [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text())
            for r in range(dialog.table.rowCount())]
    assert rows == [(action, seq.toString(QKeySequence.SequenceFormat.NativeText))
                    for action, seq in shortcuts]
    assert rows[0][1] == "Ctrl+Return"


def test_every_row_and_the_whole_key_text_show(qtbot) -> None:
    keys = ["Ctrl+,", "Ctrl+Q", "Ctrl+Return", "Esc", "Ctrl+Shift+Return", "Ctrl+Shift+Z",
            "Ctrl+Shift+N", "Ctrl+Shift+P", "Ctrl+K", "Ctrl+H", "Ctrl+L", "F1", "Ctrl+C",
            "Ctrl+Z"]
    dialog = ShortcutsDialog([(f"Action number {i}", QKeySequence(k))
                              for i, k in enumerate(keys)])
    qtbot.addWidget(dialog)
    dialog.show()
    table = dialog.table
    qtbot.waitUntil(table.isVisible)
    assert not table.verticalScrollBar().isVisible()
    last = table.rowCount() - 1
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height()
    longest = table.fontMetrics().horizontalAdvance("Ctrl+Shift+Return")
    assert table.columnWidth(1) > longest
    assert table.columnViewportPosition(1) + table.columnWidth(1) <= table.viewport().width()
