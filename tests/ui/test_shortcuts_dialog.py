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
